"""Checkpoints and exact resume: a run stopped at epoch k and resumed has the uninterrupted run's metrics."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

from rdfia_tui.cli.main import main
from rdfia_tui.engine.config import ModelConfig, RunConfig, apply_overrides
from rdfia_tui.engine.control import RunControl
from rdfia_tui.engine.events import BatchProgress, EpochEnded, Notice
from rdfia_tui.engine.presets import load_preset
from rdfia_tui.engine.runs.checkpoint import load_checkpoint
from rdfia_tui.engine.runs.record import read_metrics_csv
from rdfia_tui.engine.runs.resume import CHECKPOINT
from rdfia_tui.engine.runs.summary import read_summary
from rdfia_tui.engine.training import fit
from tests.helpers import RUN_FILES_WITH_CHECKPOINT, make_npz, tiny_cfg

TIMING = ("seconds", "images_per_s")


def comparable(run_dir: Path) -> list[dict[str, float]]:
    return [{k: v for k, v in row.items() if k not in TIMING} for row in read_metrics_csv(run_dir / "metrics.csv")]


def circles(*overrides: str) -> RunConfig:
    return apply_overrides(load_preset("circles-mlp"), ["train.checkpoint=epoch", "train.epochs=6", *overrides])


def convnet(tmp_path: Path, *overrides: str) -> RunConfig:
    """Everything that draws random numbers: dropout, crop + flip, batch-norm, momentum and a step schedule."""
    data = make_npz(tmp_path / "tiny.npz", [40, 40, 40], [10, 10, 10], size=8)
    model = ModelConfig(arch="convnet", conv_channels=(4,), conv_kernels=(3,), conv_paddings=(1,), fc=(8,), dropout=0.3, batch_norm=True)
    cfg = tiny_cfg(
        data,
        "train.checkpoint=epoch",
        "train.epochs=5",
        "data.augment=crop,hflip",
        "data.crop_size=6",
        "data.crop_padding=1",
        "optim.momentum=0.9",
        "schedule.name=step",
        "schedule.step_size=2",
        *overrides,
        model=model,
    )
    return dataclasses.replace(cfg)


def stopper(when) -> tuple[RunControl, callable]:
    control = RunControl()

    def emit(event) -> None:
        if when(event):
            control.stop.set()

    return control, emit


FAST = ("schedule.name=onecycle", "train.label_smoothing=0.1", "train.tta_flip=true")  # cifar10-fast's tricks


@pytest.mark.parametrize("kind", ["circles", "convnet", "fast"])
def test_stopped_after_an_epoch_and_resumed_equals_uninterrupted(kind: str, tmp_path: Path, runs_dir: Path) -> None:
    cfg = circles() if kind == "circles" else convnet(tmp_path, *(FAST if kind == "fast" else ()))
    whole = fit(cfg, runs_dir=runs_dir)
    control, emit = stopper(lambda e: isinstance(e, EpochEnded) and e.metrics.epoch == 2)
    part = fit(cfg, emit, control, runs_dir=runs_dir)
    assert part.status == "stopped" and len(read_metrics_csv(part.run_dir / "metrics.csv")) == 3
    resumed = fit(cfg, resume=part.run_dir)
    assert resumed.status == "completed" and resumed.run_dir == part.run_dir
    assert comparable(resumed.run_dir) == comparable(whole.run_dir)
    summary = read_summary(resumed.run_dir)
    assert summary["status"] == "completed" and summary["resumed"][0]["after_epoch"] == 2
    assert summary["test_confusion"] == read_summary(whole.run_dir)["test_confusion"]


def test_stopped_mid_epoch_redoes_that_epoch_exactly(tmp_path: Path, runs_dir: Path) -> None:
    cfg = convnet(tmp_path, "train.batch_size=8", "train.progress_interval=0.000001")
    whole = fit(cfg, runs_dir=runs_dir)
    control, emit = stopper(lambda e: isinstance(e, BatchProgress) and e.epoch == 3 and e.step >= 4)
    part = fit(cfg, emit, control, runs_dir=runs_dir)
    assert part.status == "stopped" and "during epoch 3" in part.message
    assert load_checkpoint(part.run_dir)["epoch"] == 2
    events: list = []
    resumed = fit(cfg, events.append, resume=part.run_dir)
    assert comparable(resumed.run_dir) == comparable(whole.run_dir)
    # the console gets the history first, then the new epochs
    assert [e.metrics.epoch for e in events if isinstance(e, EpochEnded)] == [0, 1, 2, 3, 4, 5]
    assert any(isinstance(e, Notice) and "resumed after epoch 2" in e.message for e in events)


def test_the_checkpoint_is_plain_tensors_replaced_whole(runs_dir: Path) -> None:
    result = fit(circles("train.epochs=2"), runs_dir=runs_dir)
    state = torch.load(result.run_dir / CHECKPOINT, weights_only=True)  # no pickled code
    assert state["epoch"] == 2 and len(state["epochs"]) == 3
    assert set(state["rng"]) >= {"torch", "generator"}
    assert sorted(p.name for p in result.run_dir.iterdir()) == RUN_FILES_WITH_CHECKPOINT


def test_no_checkpoint_unless_asked(runs_dir: Path) -> None:
    result = fit(apply_overrides(load_preset("circles-mlp"), ["train.epochs=1"]), runs_dir=runs_dir)
    assert not (result.run_dir / CHECKPOINT).exists()


def test_resume_can_train_for_more_epochs(runs_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = fit(circles("train.epochs=3"), runs_dir=runs_dir)
    assert main(["resume", str(first.run_dir), "--set", "train.epochs=6"]) == 0
    whole = fit(circles(), runs_dir=runs_dir)
    assert comparable(first.run_dir) == comparable(whole.run_dir)
    assert "completed" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        ("none", [], "is not a run folder"),
        ("plain", [], "has no checkpoint.pt"),
        ("done", [], "already completed its 2 epochs"),
        ("done", ["--set", "optim.lr=1"], "only train.epochs, train.nproc, train.early_stop_patience, train.early_stop_metric, "
         "train.restore_best can change"),
        ("done", ["--set", "train.epochs=x"], "train.epochs: expected an integer"),
        ("done", ["--set", "train.epochs=1"], "has already trained 2 epochs; give more epochs, not fewer"),
    ],
)
def test_resume_mistakes_are_one_line_and_exit_2(
    setup: str, args: list[str], message: str, tmp_path: Path, runs_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if setup == "none":
        target = tmp_path / "missing"
    else:
        overrides = ["train.epochs=2"] + (["train.checkpoint=epoch"] if setup == "done" else [])
        target = fit(apply_overrides(load_preset("circles-mlp"), overrides), runs_dir=runs_dir).run_dir
    assert main(["resume", str(target), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and err.count("\n") == 0


def test_a_damaged_checkpoint_is_reported(runs_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = fit(circles("train.epochs=2"), runs_dir=runs_dir)
    (result.run_dir / CHECKPOINT).write_bytes(b"not a checkpoint")
    summary = result.run_dir / "summary.json"
    summary.write_text(summary.read_text().replace('"completed"', '"stopped"'))
    assert main(["resume", str(result.run_dir)]) == 2
    assert "cannot be read" in capsys.readouterr().err
