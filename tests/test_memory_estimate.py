"""The memory estimate before launch: data, ZCA and one step against the free memory, the `memory` command,
the child process the console asks, and the verdict under the form."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from tui_fakes import ScriptedEngine, type_into, wait_for

from rdfia_tui.cli.main import main
from rdfia_tui.engine import memory_estimate
from rdfia_tui.engine.config import apply_overrides
from rdfia_tui.engine.errors import RdfiaError
from rdfia_tui.engine.memory import zca_bytes
from rdfia_tui.engine.memory_estimate import cpu_step_bytes, estimate
from rdfia_tui.engine.memory_fit import SAFE, TIGHT, UNKNOWN, WONT_FIT, MemoryEstimate, describe, estimate_in_child, verdict
from rdfia_tui.engine.presets import load_preset
from rdfia_tui.tui.app import create_app
from rdfia_tui.tui.options import AppOptions
from rdfia_tui.tui.widgets.gpu_panel import GpuPanel
from rdfia_tui.tui.widgets.memory_fit import MemoryFit, memory_key
from tests.helpers import make_npz, tiny_cfg

CPU = torch.device("cpu")
MiB = 2**20


def test_the_verdict_thresholds() -> None:
    assert verdict(59, 100) == SAFE and verdict(60, 100) == TIGHT
    assert verdict(89.9, 100) == TIGHT and verdict(90, 100) == WONT_FIT and verdict(500, 100) == WONT_FIT
    assert verdict(1, None) == UNKNOWN
    e = MemoryEstimate("cpu", 32, 100.0, 200.0, 0.0, 100.0, 50.0, 1000.0, "m", 0.5)
    assert e.peak_bytes == 200.0 and e.verdict == SAFE  # loading the data is the peak here
    assert MemoryEstimate.from_json(e.to_json()) == e
    extrapolated = replace(e, measured_batches=(2, 16))
    assert MemoryEstimate.from_json(extrapolated.to_json()) == extrapolated and extrapolated.extrapolated and not e.extrapolated


def test_a_large_batch_is_extrapolated_from_two_small_steps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Asking about a batch of a million measures steps of 2 and 16 examples only (a step at the asked batch would
    itself need the memory asked about); on a CPU the line through them is the count at the batch itself."""
    measured: list[int] = []

    def spy(cfg, shape, n_classes, batch, device):
        measured.append(batch)
        return cpu_step_bytes(cfg, shape, n_classes, batch, device)

    monkeypatch.setitem(memory_estimate.STEP_MEASURES, "cpu", (spy, "spied"))
    cfg = tiny_cfg(make_npz(tmp_path / "tiny.npz", [40, 40], [10, 10], size=16), "train.batch_size=1000000", "data.val_split=0")
    found = estimate(cfg)
    assert measured == [2, 16] and found.batch_size == 80 and found.measured_batches == (2, 16)  # capped at the train split
    at_batch = cpu_step_bytes(cfg, (3, 16, 16), 2, 80, CPU)
    assert abs(found.step_bytes / at_batch - 1) < 0.01, (found.step_bytes, at_batch)
    assert "step at batch 80" in describe(found) and "(extrapolated from batches 2 and 16)" in describe(found)
    measured.clear()
    small = estimate(apply_overrides(cfg, ["train.batch_size=8"]))
    assert measured == [8] and small.measured_batches == (8,) and "extrapolated" not in describe(small)


def test_a_network_too_large_to_allocate_will_not_fit_rather_than_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """When even the network cannot be allocated, its weights and gradients are counted without allocating (the meta
    device) and the verdict is 'will not fit', with the allocator's words, never an error."""

    def cannot_allocate(cfg, shape, n_classes, batch, device):
        raise RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 40000000000 bytes")

    monkeypatch.setitem(memory_estimate.STEP_MEASURES, "cpu", (cannot_allocate, "unused"))
    cfg = apply_overrides(load_preset("circles-mlp"), ["model.hidden=64,64"])
    found = estimate(cfg)
    weights = (2 * 64 + 64) + (64 * 64 + 64) + (64 * 2 + 2)  # three linear layers of a 2-64-64-2 network
    assert found.step_bytes == 2 * 4 * weights  # float32 weights and their gradients
    assert found.measured_batches == () and found.method.startswith("weights and gradients only, counted without allocating")
    assert "you tried to allocate 40000000000 bytes" in found.method
    monkeypatch.setattr(memory_estimate, "free_bytes", lambda device: 1000.0)
    assert estimate(cfg).verdict == WONT_FIT


def test_the_estimate_grows_with_the_batch_size(tmp_path: Path) -> None:
    circles = [estimate(apply_overrides(load_preset("circles-mlp"), [f"train.batch_size={b}"])) for b in (8, 512)]
    assert circles[1].step_bytes > circles[0].step_bytes
    data = make_npz(tmp_path / "tiny.npz", [40, 40], [10, 10], size=16)
    cnn = [estimate(tiny_cfg(data, f"train.batch_size={b}", "data.val_split=0")) for b in (8, 64)]
    assert cnn[1].step_bytes > 4 * cnn[0].step_bytes  # the activations dominate and grow with the batch
    assert cnn[0].data_bytes == 100 * (3 * 16 * 16 + 8)  # uint8 images and int64 labels, read from the file's headers
    assert cnn[0].loading_bytes == 2 * cnn[0].data_bytes and cnn[0].zca_bytes == 0
    assert cnn[0].device == "cpu" and cnn[0].free_bytes and cnn[0].verdict == SAFE


def test_zca_adds_its_d_by_d_matrices(tmp_path: Path) -> None:
    data = make_npz(tmp_path / "tiny.npz", [40, 40], [10, 10], size=16)
    d = 3 * 16 * 16
    plain, whitened = (estimate(tiny_cfg(data, f"data.zca={z}", "data.normalize=none")) for z in ("false", "true"))
    assert whitened.zca_bytes == zca_bytes(100, d) >= 5 * d * d * 8  # five float64 D×D matrices
    assert whitened.trained_data_bytes == 100 * (4 * d + 8)  # the whitened float32 copy
    assert whitened.peak_bytes >= whitened.data_bytes + 40 * d * d > plain.peak_bytes


MEASURED_STEP = textwrap.dedent(
    """
    import sys
    import torch
    from rdfia_tui.engine.memory_estimate import _step_parts
    from rdfia_tui.engine.presets import load_preset

    def status(key):
        return int(next(l for l in open("/proc/self/status") if l.startswith(key)).split()[1]) * 1024

    torch.set_num_threads(1)
    cfg = load_preset("cifar10-convnet")
    open("/proc/self/clear_refs", "w").write("5")  # the peak resident size (VmHWM) starts again from now
    before = status("VmRSS:")
    model, step, optimiser, x, y = _step_parts(cfg, (3, 32, 32), 10, int(sys.argv[1]), torch.device("cpu"))
    step(x, y)
    print(status("VmHWM:") - before)
    """
)


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="resets and reads the peak resident size in /proc (Linux)")
def test_the_cpu_step_estimate_is_near_a_measured_step() -> None:
    """The peak resident memory a fresh process gains over one step of the course's CNN at batch 256 (VmHWM, reset
    before the step through /proc/self/clear_refs)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", MEASURED_STEP, "256"], capture_output=True, text=True, env=env, timeout=120, check=True)
    measured = int(out.stdout.split()[-1])
    estimated = cpu_step_bytes(load_preset("cifar10-convnet"), (3, 32, 32), 10, 256, CPU)
    assert 0.5 < estimated / measured < 2.0, (estimated, measured)


def test_the_memory_command(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["memory", "circles-mlp", "--set", "train.batch_size=32"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("circles-mlp: memory: safe: about ") and "step at batch 32" in out[0]
    monkeypatch.setattr(memory_estimate, "free_bytes", lambda device: 1000.0)
    assert main(["memory", "circles-mlp", "--json"]) == 1  # will not fit: a script can test the exit status
    assert MemoryEstimate.from_json(capsys.readouterr().out).verdict == WONT_FIT
    assert main(["memory", "circles-mlp", "--set", "train.batch_size=many"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("rdfia-tui: error: ") and "train.batch_size" in err


def test_the_console_asks_a_child_process(tmp_path: Path) -> None:
    """The real path, once: the console's estimate runs `python -m rdfia_tui memory FILE --json` (no torch in the console)."""
    found = estimate_in_child(apply_overrides(load_preset("circles-mlp"), ["train.batch_size=16"]))
    assert found.device == "cpu" and found.batch_size == 16 and found.step_bytes > 0 and found.verdict == SAFE
    cancelled = threading.Event()
    cancelled.set()
    with pytest.raises(RdfiaError, match="cancelled"):
        estimate_in_child(load_preset("circles-mlp"), cancel=cancelled)
    with pytest.raises(RdfiaError, match=r"data\.path"):  # the child's own one-line reason
        estimate_in_child(replace(load_preset("circles-mlp"), data=replace(load_preset("circles-mlp").data, dataset="npz", path="")))


class FakeEstimator:
    """Needs 10 MiB per example of the batch, against 1,000 MiB free; the batch size 7 fails."""

    def __init__(self) -> None:
        self.batches: list[int] = []

    def __call__(self, cfg, data_root, cancel) -> MemoryEstimate:
        b = cfg.train.batch_size
        self.batches.append(b)
        if b == 7:
            raise RdfiaError("data.path: no such file")
        return MemoryEstimate("cpu", b, 0.0, 0.0, 0.0, 0.0, 10.0 * b * MiB, 1000.0 * MiB, "fake")


async def test_the_form_shows_the_memory_verdict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(MemoryFit, "DEBOUNCE_S", 0.05)
    monkeypatch.setattr(GpuPanel, "detect", staticmethod(lambda: False))
    fake = FakeEstimator()
    app = create_app(AppOptions(runs_dir=tmp_path / "runs"), engine=ScriptedEngine(), estimator=fake)
    async with app.run_test(size=(140, 45)) as pilot:
        line = app.main.query_one(MemoryFit)
        await wait_for(pilot, lambda: line.estimate is not None)
        assert line.has_class("-safe") and "memory safe: ~100 MiB of 1,000 MiB free" in str(line.render())
        for batch, verdict_class, words in ((70, "-tight", "memory tight: ~700 MiB"), (95, "-wont-fit", "memory will not fit")):
            await type_into(pilot, app, "train.batch_size", str(batch))
            await wait_for(pilot, lambda b=batch: line.estimate is not None and line.estimate.batch_size == b)
            assert line.has_class(verdict_class) and words in str(line.render())
        await type_into(pilot, app, "train.batch_size", "7")
        await wait_for(pilot, lambda: "not estimated" in str(line.render()))
        assert "data.path: no such file" in str(line.render())
        await type_into(pilot, app, "train.batch_size", "50")
        await wait_for(pilot, lambda: line.estimate is not None and line.estimate.batch_size == 50)
        await type_into(pilot, app, "train.batch_size", "")  # an invalid form: no stale verdict of the last valid config
        await wait_for(pilot, lambda: "fix the form first" in str(line.render()))
        assert line.estimate is None and not line.has_class("-safe")
        asked = len(fake.batches)
        await type_into(pilot, app, "train.batch_size", "50")  # the same config as before the error is estimated again
        await wait_for(pilot, lambda: line.estimate is not None and line.estimate.batch_size == 50)
        assert len(fake.batches) == asked + 1 and "memory safe: ~500 MiB" in str(line.render())
        # without a GPU the GPU tab is not offered
        assert app.main.panels.get_tab("tab-gpu").has_class("-hidden") and not app.main.gpu_offered()


def test_only_what_the_estimate_depends_on_asks_for_a_new_one() -> None:
    cfg = load_preset("cifar10-convnet")
    assert memory_key(apply_overrides(cfg, ["optim.lr=0.5", "train.epochs=3", "schedule.name=step"])) == memory_key(cfg)
    for change in ("train.batch_size=512", "optim.name=adam", "data.zca=true", "model.fc=64", "train.device=cpu"):
        assert memory_key(apply_overrides(cfg, [change])) != memory_key(cfg), change


def test_a_test_engine_gets_no_estimator(tmp_path: Path) -> None:
    assert create_app(AppOptions(runs_dir=tmp_path), engine=ScriptedEngine()).memory_estimator is None
    assert create_app(AppOptions(runs_dir=tmp_path)).memory_estimator is estimate_in_child


def test_the_cifar10_estimate_on_the_real_data(shared_data: Path) -> None:
    cfg = apply_overrides(load_preset("cifar10-convnet"), ["train.device=cpu", "train.batch_size=128"])
    found = estimate(cfg, shared_data)
    assert found.data_bytes == 60_000 * (3072 + 8)  # 50,000 train + 10,000 test uint8 images, from cifar10.npz's headers
    assert found.batch_size == 128 and found.step_bytes > 20 * 2**20
