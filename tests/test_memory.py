"""Memory at set-up: ZCA refused from an estimate before it allocates, and a real allocation failure in one line."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from rdfia_tui.cli.main import main
from rdfia_tui.engine import memory
from rdfia_tui.engine.memory import free_bytes, zca_bytes


def test_the_zca_estimate_counts_the_d_by_d_matrices() -> None:
    d = 3 * 64 * 64
    assert d == 12_288
    assert zca_bytes(100, d) == 8 * (5 * d * d + 2 * 100 * d) + 4 * 100 * d
    assert 6.0e9 < zca_bytes(100, d) < 6.2e9  # the five float64 D×D matrices dominate
    assert zca_bytes(50_000, 3072) < 1.5e9  # CIFAR-10's 32×32×3: well within a laptop


def test_free_memory_is_read_from_the_system() -> None:
    free = free_bytes(torch.device("cpu"))
    assert free is not None and 1e7 < free < 1e14


def test_zca_on_64x64_images_is_refused_when_it_cannot_fit(
    tmp_path: Path, runs_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (30, 64, 64, 3), dtype=np.uint8)
    np.savez(tmp_path / "big.npz", x_train=x[:20], y_train=np.arange(20) % 2, x_test=x[20:], y_test=np.arange(10) % 2)
    monkeypatch.setattr(memory, "free_bytes", lambda device: 3.1e9)
    argv = ["run", "cifar10-zca", "--set", "data.dataset=npz", "--set", f"data.path={tmp_path / 'big.npz'}", "--set", "train.device=cpu"]
    assert main([*argv, "--runs-dir", str(runs_dir)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "data.zca: whitening 30 images of 3×64×64 needs about 6.0 GB (D×D matrices with D = 12,288)" in err
    assert "about 3.1 GB is free on cpu" in err and "data.normalize=standard" in err
    assert not runs_dir.exists() or not any(runs_dir.iterdir())  # refused before a run folder was made


ALLOCATION = textwrap.dedent(
    """
    import resource, sys
    import torch
    size = int(next(l for l in open("/proc/self/status") if l.startswith("VmSize")).split()[1]) * 1024
    resource.setrlimit(resource.RLIMIT_AS, (size + 2 * 2**30, resource.RLIM_INFINITY))  # 2 GB more than now, whatever the overcommit policy
    from rdfia_tui.cli.main import main
    sys.exit(main(sys.argv[1:]))
    """
)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the address-space size from /proc (Linux)")
def test_a_real_allocation_failure_while_building_the_model_is_one_line(tmp_path: Path) -> None:
    argv = ["run", "circles-mlp", "--set", "model.hidden=200000,200000", "--set", "train.device=cpu", "--runs-dir", str(tmp_path)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", ALLOCATION, *argv], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("rdfia-tui: error: out of memory while building the model on cpu (DefaultCPUAllocator: can't allocate")
    assert "make the network smaller" in proc.stderr
