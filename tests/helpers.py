"""What many tests share: an event recorder, small configs and datasets, and the CLI run as a new user runs it.

Tests import these from here, never from one another. The console's fakes and Pilot helpers are in
tests/tui_fakes.py.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from rdfia_tui.engine.config import ModelConfig, RunConfig, apply_overrides
from rdfia_tui.engine.events import EpochEnded, EpochMetrics

TINY_MODEL = ModelConfig(arch="convnet", conv_channels=(4,), conv_kernels=(3,), conv_paddings=(1,), fc=(8,))


class Recorder:
    """An ``emit`` that keeps every event (thread-safe: fit may run in a worker thread)."""

    def __init__(self) -> None:
        self.events: list = []
        self.lock = threading.Lock()

    def __call__(self, event) -> None:
        with self.lock:
            self.events.append(event)

    def of(self, kind: type) -> list:
        with self.lock:
            return [e for e in self.events if isinstance(e, kind)]

    def epochs(self) -> list[EpochMetrics]:
        return [e.metrics for e in self.of(EpochEnded)]


def circles(*overrides: str, name: str = "t") -> RunConfig:
    """A small, fast circles run on the CPU."""
    return apply_overrides(RunConfig(name=name), ["train.device=cpu", "data.n_samples=200", "train.epochs=3", *overrides])


def make_npz(
    path: Path,
    train_counts: list[int],
    test_counts: list[int],
    size: int = 8,
    seed: int = 0,
    class_names: list[str] | None = None,
    shuffle_test: bool = True,
) -> Path:
    """Random uint8 (N, size, size, 3) images; class k is brighter by 20k so a net can learn a little."""
    rng = np.random.default_rng(seed)

    def split(counts: list[int], shuffle: bool) -> tuple[np.ndarray, np.ndarray]:
        y = np.concatenate([np.full(n, k) for k, n in enumerate(counts)]).astype(np.int64)
        if shuffle:
            y = rng.permutation(y)
        x = rng.integers(0, 120, size=(len(y), size, size, 3)) + 20 * y[:, None, None, None]
        return x.clip(0, 255).astype(np.uint8), y

    x_train, y_train = split(train_counts, True)
    x_test, y_test = split(test_counts, shuffle_test)
    extra = {"class_names": np.array(class_names)} if class_names else {}
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test, **extra)
    return path


def tiny_cfg(path: Path, *overrides: str, model: ModelConfig = TINY_MODEL) -> RunConfig:
    """A two-epoch convnet on the npz at ``path``, on the CPU."""
    cfg = apply_overrides(
        RunConfig(name="labs67"),
        ["data.dataset=npz", f"data.path={path}", "train.device=cpu", "train.epochs=2", "train.batch_size=16", *overrides],
    )
    return dataclasses.replace(cfg, model=model)


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    def stderr_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def isolated_env(cwd: Path, **extra: str) -> dict[str, str]:
    """This environment without colour forcing, with runs and data roots under ``cwd`` and one thread."""
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "CLICOLOR_FORCE", "PY_COLORS", "NO_COLOR")}
    env |= {
        "TERM": "xterm-256color",  # a colour terminal type: only the missing TTY may turn colour off
        "RDFIA_TUI_RUNS": str(cwd / "env-runs"),  # a safety net; every test passes --runs-dir
        "RDFIA_TUI_DATA": str(cwd / "env-data"),
        "OMP_NUM_THREADS": "1",  # a 22-parameter model gains nothing from threads that fight the other tests
        "PYTHONWARNINGS": "ignore",
    }
    return env | extra


def rdfia(*args: str, cwd: Path, timeout: float = 180, prefix: tuple[str, ...] = ("-m", "rdfia_tui"), **env: str) -> Result:
    """Run ``python -m rdfia_tui ARGS`` with pipes (so not a TTY) and an isolated environment (``env`` added).
    ``prefix``: what comes between the interpreter and ARGS (torchrun's module and flags, for instance)."""
    try:
        out = subprocess.run(
            [sys.executable, *prefix, *args],
            cwd=cwd,
            env=isolated_env(cwd, **env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        shown = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else str(exc.stdout or "")
        pytest.fail(f"'rdfia-tui {' '.join(args)}' did not exit within {timeout:g}s (not a TTY); stdout so far: {shown[:200]!r}")
    return Result(out.returncode, out.stdout, out.stderr)


def run_folder_from(result: Result) -> Path:
    """The run folder a headless run printed on its last line."""
    last = result.stdout.rstrip("\n").splitlines()[-1]
    assert last.startswith("run folder: "), f"last line is not the run folder: {last!r}"
    folder = Path(last.removeprefix("run folder: "))
    assert folder.is_dir()
    return folder


def summary_of(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


def assert_clean_error(result: Result, *fragments: str) -> str:
    """Exit 2, exactly one line on stderr, no traceback; the line contains every fragment."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    lines = result.stderr_lines()
    assert len(lines) == 1, f"expected one line on stderr, got {lines}"
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    return lines[0]


# what a run folder holds after a run with train.checkpoint = "epoch" (no temporary file is left)
RUN_FILES_WITH_CHECKPOINT = ["checkpoint.pt", "config.toml", "events.jsonl", "live.json", "metrics.csv", "summary.json"]
