"""Running out of GPU memory mid-run: a clear line that suggests a smaller batch, and the records kept."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import rdfia_tui.engine.setup as engine_setup
from rdfia_tui.cli.main import main
from rdfia_tui.engine.runs.record import read_metrics_csv
from rdfia_tui.engine.runs.summary import read_summary


@pytest.fixture
def oom_in_epoch_2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every training step from the second epoch on raises torch's out-of-memory error."""
    real = engine_setup.build_step
    calls = {"n": 0}

    def build_step(*args, **kwargs):
        step, optimiser = real(*args, **kwargs)

        def failing(x, y):
            calls["n"] += 1
            if calls["n"] > 80:  # circles-mlp: 800 examples in batches of 10 = 80 steps per epoch
                raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
            return step(x, y)

        return failing, optimiser

    monkeypatch.setattr(engine_setup, "build_step", build_step)


def test_out_of_memory_fails_the_run_with_advice_and_keeps_the_records(
    oom_in_epoch_2: None, runs_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["run", "circles-mlp", "--set", "train.epochs=5", "--set", "train.batch_size=10"])
    assert code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "out of memory on cpu with train.batch_size 10; try a smaller batch, e.g. --set train.batch_size=5" in err
    (run,) = runs_dir.iterdir()
    summary = read_summary(run)
    assert summary["status"] == "failed" and "smaller batch" in summary["message"]
    assert [r["epoch"] for r in read_metrics_csv(run / "metrics.csv")] == [0, 1] == [e["epoch"] for e in summary["epochs"]]
