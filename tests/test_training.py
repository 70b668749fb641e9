"""The training loop: accuracy, determinism, events, divergence, stop, pause and learning-rate requests."""

from __future__ import annotations

import dataclasses
import math
import re
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from rdfia_tui.engine.config import ModelConfig, RunConfig, apply_overrides
from rdfia_tui.engine.control import RunControl
from rdfia_tui.engine.data.splits import Split
from rdfia_tui.engine.evaluation import evaluate
from rdfia_tui.engine.events import BatchProgress, BoundaryUpdated, EpochEnded, EpochMetrics, Notice, PlanePoints, RunFinished, RunStarted
from rdfia_tui.engine.losses import cross_entropy
from rdfia_tui.engine.models import build_model
from rdfia_tui.engine.presets import load_preset
from rdfia_tui.engine.runs.record import read_metrics_csv
from rdfia_tui.engine.runs.summary import read_summary
from rdfia_tui.engine.steps import ModuleStep
from rdfia_tui.engine.training import EpochLoop, RunResult, fit, train_one_epoch
from tests.helpers import Recorder, circles


def _learned(m: EpochMetrics) -> tuple:
    """Every metric except the timings."""
    d = dataclasses.asdict(m)
    d.pop("seconds")
    d.pop("images_per_s")
    return tuple(d.values())


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


# --- learning ---------------------------------------------------------------------------------


def test_circles_mlp_preset_learns(runs_dir: Path) -> None:
    cfg = apply_overrides(load_preset("circles-mlp"), ["train.device=cpu"])
    result = fit(cfg, runs_dir=runs_dir)
    assert isinstance(result, RunResult)
    assert result.status == "completed" and result.message == ""
    assert result.summary["final_test_acc"] >= 0.95
    rows = read_metrics_csv(result.run_dir / "metrics.csv")
    assert len(rows) == 31
    assert rows[-1]["train_loss"] < rows[0]["train_loss"]
    # an untrained 2-class net is close to chance, far from the final accuracy
    assert rows[0]["test_acc"] < 0.8


def test_mse_loss_trains_circles(runs_dir: Path) -> None:
    cfg = apply_overrides(load_preset("circles-mlp"), ["train.device=cpu", "train.loss=mse"])
    result = fit(cfg, runs_dir=runs_dir)
    assert result.status == "completed"
    assert result.summary["final_test_acc"] >= 0.9
    rows = read_metrics_csv(result.run_dir / "metrics.csv")
    # the softmax-vs-one-hot loss of two classes is at most 2, and it falls
    assert all(0 <= r["train_loss"] <= 2 for r in rows)
    assert rows[-1]["test_loss"] < rows[0]["test_loss"]


def test_convnet_trains_on_tiny_images(tmp_path: Path, runs_dir: Path) -> None:
    rng = np.random.default_rng(0)
    # class 1 images are bright, class 0 dark: trivially separable
    y_train, y_test = np.arange(40) % 2, np.arange(10) % 2
    x_train = (rng.integers(0, 100, size=(40, 8, 8, 3)) + 150 * y_train[:, None, None, None]).astype(np.uint8)
    x_test = (rng.integers(0, 100, size=(10, 8, 8, 3)) + 150 * y_test[:, None, None, None]).astype(np.uint8)
    path = tmp_path / "tiny.npz"
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    cfg = apply_overrides(
        RunConfig(name="tiny-cnn"),
        [
            f"data.path={path}",
            "data.dataset=npz",
            "optim.name=adam",
            "optim.lr=0.01",
            "train.epochs=15",
            "train.batch_size=8",
            "train.device=cpu",
        ],
    )
    # set as one value: --set cannot change the number of convolutions one key at a time (see test_layers)
    cfg = dataclasses.replace(cfg, model=ModelConfig(arch="convnet", conv_channels=(4,), conv_kernels=(3,), conv_paddings=(1,), fc=(8,)))
    result = fit(cfg, runs_dir=runs_dir)
    assert result.status == "completed"
    assert result.summary["final_test_acc"] == 1.0
    assert result.summary["params"] == (3 * 4 * 9 + 4) + (4 * 4 * 4 * 8 + 8) + (8 * 2 + 2)


# --- determinism ------------------------------------------------------------------------------


def test_identical_fits_give_identical_metrics(runs_dir: Path) -> None:
    a, b = Recorder(), Recorder()
    fit(circles(), a, runs_dir=runs_dir)
    fit(circles(), b, runs_dir=runs_dir)
    assert len(a.epochs()) == 4
    assert [_learned(m) for m in a.epochs()] == [_learned(m) for m in b.epochs()]
    other = Recorder()
    fit(circles("train.seed=1"), other, runs_dir=runs_dir)
    assert [_learned(m) for m in a.epochs()] != [_learned(m) for m in other.epochs()]
    # the seed changes the initial weights too, so already the epoch-0 evaluation differs
    assert a.epochs()[0].test_loss != other.epochs()[0].test_loss


def test_data_seed_changes_the_data(runs_dir: Path) -> None:
    a, b = Recorder(), Recorder()
    fit(circles(), a, runs_dir=runs_dir)
    fit(circles("data.seed=9"), b, runs_dir=runs_dir)
    assert a.epochs()[0].test_loss != b.epochs()[0].test_loss


# --- epochs and events ------------------------------------------------------------------------


def test_epoch_zero_is_before_training(runs_dir: Path) -> None:
    slow, fast = Recorder(), Recorder()
    fit(circles("optim.lr=0.01"), slow, runs_dir=runs_dir)
    fit(circles("optim.lr=0.5"), fast, runs_dir=runs_dir)
    zero = slow.epochs()[0]
    assert zero.epoch == 0 and zero.seconds == 0 and zero.images_per_s == 0
    assert zero.lr == 0.01 and fast.epochs()[0].lr == 0.5
    # the learning rate cannot matter before the first step; it does after
    assert _learned(dataclasses.replace(zero, lr=0.5)) == _learned(fast.epochs()[0])
    assert slow.epochs()[1].train_loss != fast.epochs()[1].train_loss
    assert all(m.seconds > 0 and m.images_per_s > 0 for m in slow.epochs()[1:])


def test_events_arrive_in_order(runs_dir: Path) -> None:
    rec = Recorder()
    result = fit(circles("train.epochs=4", "data.val_split=0.25", "train.batch_size=16"), rec, runs_dir=runs_dir)
    kinds = [type(e) for e in rec.events if not isinstance(e, BatchProgress)]
    # 2-D data: the plane's points once, then a boundary after every epoch
    assert kinds == [RunStarted, PlanePoints] + [EpochEnded, BoundaryUpdated] * 5 + [RunFinished]
    assert [m.epoch for m in rec.epochs()] == [0, 1, 2, 3, 4]
    assert all(e.epochs == 4 for e in rec.of(EpochEnded))
    started = rec.events[0]
    assert isinstance(started, RunStarted)
    assert started.run_dir == result.run_dir and started.preset == "t"
    assert (started.n_train, started.n_val, started.n_test) == (150, 50, 100)
    assert started.steps_per_epoch == math.ceil(150 / 16) and started.epochs == 4
    assert started.params == 2 * 4 + 4 + 4 * 2 + 2
    assert started.class_names == ("0", "1")
    assert started.config["train"]["batch_size"] == 16
    finished = rec.events[-1]
    assert isinstance(finished, RunFinished)
    assert finished.status == "completed" and finished.run_dir == result.run_dir
    assert finished.summary == result.summary
    # progress events fall inside their epoch: after its predecessor's EpochEnded, before its own
    current = 0
    for event in rec.events:
        if isinstance(event, EpochEnded):
            current = event.metrics.epoch
        elif isinstance(event, BatchProgress):
            assert event.epoch == current + 1


def test_progress_events_are_bounded_by_the_interval(runs_dir: Path) -> None:
    rec = Recorder()
    fit(circles("train.batch_size=4", "train.progress_interval=10"), rec, runs_dir=runs_dir)
    progress = rec.of(BatchProgress)
    steps = math.ceil(180 / 4)
    for epoch in (1, 2, 3):
        mine = [p for p in progress if p.epoch == epoch]
        assert 1 <= len(mine) <= 2
        # the epoch's last step is always reported
        assert mine[-1].step == mine[-1].steps == steps
        assert all(math.isfinite(p.loss) and p.eta_s >= 0 for p in mine)
    assert progress[-1].eta_s > 0  # no step is left, but the last evaluation is (the ETA counts it)


def test_every_step_is_reported_with_a_tiny_interval(runs_dir: Path) -> None:
    rec = Recorder()
    fit(circles("train.batch_size=50", "train.progress_interval=1e-9"), rec, runs_dir=runs_dir)
    progress = rec.of(BatchProgress)
    steps = math.ceil(180 / 50)
    assert [(p.epoch, p.step) for p in progress] == [(e, s) for e in (1, 2, 3) for s in range(1, steps + 1)]
    assert all(p.steps == steps for p in progress)


# --- divergence -----------------------------------------------------------------------------


DIVERGES = ("model.activation=relu", "model.hidden=[64,64]", "optim.lr=1e30")


def test_divergence_ends_the_run(runs_dir: Path) -> None:
    rec = Recorder()
    result = fit(circles(*DIVERGES), rec, runs_dir=runs_dir)
    assert result.status == "diverged"
    assert re.search(r"epoch 1, step \d+", result.message)
    assert "lower learning rate" in result.message
    # the suggested override is valid and lowers the rate
    suggestion = re.search(r"--set (optim\.lr=\S+)", result.message)
    assert suggestion
    assert apply_overrides(RunConfig(), [suggestion.group(1)]).optim.lr < 1e30
    # the records are kept: epoch 0 was written before the loss blew up
    summary = read_summary(result.run_dir)
    assert summary["status"] == "diverged" and summary["message"] == result.message
    assert [r["epoch"] for r in read_metrics_csv(result.run_dir / "metrics.csv")] == [0]
    assert isinstance(rec.events[-1], RunFinished) and rec.events[-1].status == "diverged"
    assert [m.epoch for m in rec.epochs()] == [0]


# --- steering: stop, pause, learning rate ------------------------------------------------


def test_stop_after_an_epoch(runs_dir: Path) -> None:
    control = RunControl()
    rec = Recorder()

    def emit(event) -> None:
        rec(event)
        if isinstance(event, EpochEnded) and event.metrics.epoch == 1:
            control.stop.set()

    result = fit(circles("train.epochs=5"), emit, control, runs_dir=runs_dir)
    assert result.status == "stopped"
    assert "epoch 1" in result.message
    assert [m.epoch for m in rec.epochs()] == [0, 1]
    assert not rec.of(BatchProgress) or max(p.epoch for p in rec.of(BatchProgress)) == 1
    assert [r["epoch"] for r in read_metrics_csv(result.run_dir / "metrics.csv")] == [0, 1]
    assert read_summary(result.run_dir)["status"] == "stopped"
    assert read_summary(result.run_dir)["epochs_completed"] == 1


def test_stop_during_an_epoch_discards_that_epoch(runs_dir: Path) -> None:
    control = RunControl()
    rec = Recorder()

    def emit(event) -> None:
        rec(event)
        if isinstance(event, BatchProgress) and event.epoch == 2 and event.step == 2:
            control.stop.set()

    result = fit(circles("train.epochs=5", "train.batch_size=10", "train.progress_interval=1e-9"), emit, control, runs_dir=runs_dir)
    assert result.status == "stopped"
    assert "epoch 2" in result.message and "0-1" in result.message
    assert [m.epoch for m in rec.epochs()] == [0, 1]
    assert max(p.step for p in rec.of(BatchProgress) if p.epoch == 2) == 2


def _run_in_thread(cfg: RunConfig, rec: Recorder, control: RunControl, runs_dir: Path) -> tuple[threading.Thread, dict]:
    out: dict = {}

    def target() -> None:
        try:
            out["result"] = fit(cfg, rec, control, runs_dir=runs_dir)
        except BaseException as exc:  # reported by the test
            out["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, out


def _wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_pause_holds_the_run_until_resumed(runs_dir: Path) -> None:
    control = RunControl()
    control.pause.set()
    rec = Recorder()
    thread, out = _run_in_thread(circles("train.epochs=2", "train.progress_interval=1e-9"), rec, control, runs_dir)
    _wait_for(lambda: len(rec.of(EpochEnded)) >= 1)
    time.sleep(0.6)
    assert thread.is_alive()
    assert [m.epoch for m in rec.epochs()] == [0]
    assert rec.of(BatchProgress) == []
    control.pause.clear()
    thread.join(60)
    assert not thread.is_alive() and "error" not in out
    assert out["result"].status == "completed"
    assert [m.epoch for m in rec.epochs()] == [0, 1, 2]
    # time spent paused is not training time
    assert rec.epochs()[1].seconds < 0.5


def test_stop_while_paused_ends_the_run(runs_dir: Path) -> None:
    control = RunControl()
    control.pause.set()
    rec = Recorder()
    thread, out = _run_in_thread(circles("train.epochs=50"), rec, control, runs_dir)
    _wait_for(lambda: len(rec.of(EpochEnded)) >= 1)
    control.stop.set()
    thread.join(30)
    assert not thread.is_alive() and "error" not in out
    assert out["result"].status == "stopped"
    assert max(m.epoch for m in rec.epochs()) <= 1


def test_requested_lr_applies_to_the_next_steps(runs_dir: Path) -> None:
    """A learning rate of 0 freezes the weights: the epoch after the request leaves every metric unchanged."""
    control = RunControl()
    rec = Recorder()

    def emit(event) -> None:
        rec(event)
        if isinstance(event, EpochEnded) and event.metrics.epoch == 1:
            control.request_lr(0.0)

    fit(circles("train.epochs=2"), emit, control, runs_dir=runs_dir)
    e = rec.epochs()
    assert e[1].lr == 0.1 and e[2].lr == 0.0
    assert e[2].test_loss == e[1].test_loss and e[2].test_acc == e[1].test_acc
    assert _same(e[2].val_loss, e[1].val_loss)
    assert e[1].test_loss != e[0].test_loss


def test_requested_lr_persists_after_the_epoch(runs_dir: Path) -> None:
    """'from the next step on': a request made after epoch 1 still holds in epoch 3 (constant schedule)."""
    control = RunControl()
    rec = Recorder()

    def emit(event) -> None:
        rec(event)
        if isinstance(event, EpochEnded) and event.metrics.epoch == 1:
            control.request_lr(0.0)

    fit(circles("train.epochs=3"), emit, control, runs_dir=runs_dir)
    e = rec.epochs()
    assert [m.lr for m in e] == [0.1, 0.1, 0.0, 0.0]
    assert e[3].test_loss == e[1].test_loss


# --- batch sizes ------------------------------------------------------------------------------


def test_batch_larger_than_train_set_warns_and_trains(runs_dir: Path) -> None:
    rec = Recorder()
    result = fit(circles("train.batch_size=5000"), rec, runs_dir=runs_dir)
    assert result.status == "completed"
    notices = rec.of(Notice)
    assert len(notices) == 1 and "5000" in notices[0].message and "180" in notices[0].message
    assert rec.of(RunStarted)[0].steps_per_epoch == 1
    assert rec.epochs()[1].train_loss != rec.epochs()[0].train_loss


def test_batch_size_zero_is_full_batch(runs_dir: Path) -> None:
    rec = Recorder()
    result = fit(circles("train.batch_size=0", "train.progress_interval=1e-9"), rec, runs_dir=runs_dir)
    assert result.status == "completed"
    assert rec.of(Notice) == []
    assert rec.of(RunStarted)[0].steps_per_epoch == 1
    assert [(p.epoch, p.step, p.steps) for p in rec.of(BatchProgress)] == [(1, 1, 1), (2, 1, 1), (3, 1, 1)]
    assert rec.epochs()[1].images_per_s > 0


def test_stochastic_batches(runs_dir: Path) -> None:
    rec = Recorder()
    fit(circles("train.batch_size=1", "data.n_samples=40", "train.epochs=1"), rec, runs_dir=runs_dir)
    assert rec.of(RunStarted)[0].steps_per_epoch == 36


# --- evaluation ------------------------------------------------------------------------------


def test_evaluation_uses_eval_mode() -> None:
    torch.manual_seed(0)
    cfg = ModelConfig(arch="convnet", conv_channels=(4,), conv_kernels=(3,), conv_paddings=(1,), fc=(32,), dropout=0.5)
    model = build_model(cfg, (1, 6, 6), 3)
    split = Split(torch.randint(0, 256, (20, 1, 6, 6), dtype=torch.uint8), torch.arange(20) % 3)
    model.train()
    first = evaluate(model, split, cross_entropy, batch_size=7)
    second = evaluate(model, split, cross_entropy, batch_size=20)
    assert first[0] == pytest.approx(second[0], rel=1e-6) and first[1] == second[1]
    assert not model.training
    # in training mode dropout would make two passes differ
    model.train()
    x = split.x.float() / 255
    assert not torch.equal(model(x), model(x))
    # evaluate computes the mean loss and the accuracy over the split
    model.eval()
    with torch.no_grad():
        logits = model(x)
    assert first[0] == pytest.approx(torch.nn.functional.cross_entropy(logits, split.y).item(), rel=1e-5)
    assert first[1] == pytest.approx((logits.argmax(1) == split.y).float().mean().item())


def test_evaluate_empty_split_is_nan() -> None:
    model = build_model(ModelConfig(), (2,), 2)
    empty = Split(torch.zeros(0, 2), torch.zeros(0, dtype=torch.int64))
    loss, acc = evaluate(model, empty, cross_entropy, 16)
    assert math.isnan(loss) and math.isnan(acc)


def test_train_one_epoch_switches_back_to_train_mode() -> None:
    torch.manual_seed(0)
    model = build_model(ModelConfig(hidden=(8,)), (2,), 2)
    split = Split(torch.randn(30, 2), torch.arange(30) % 2)
    evaluate(model, split, cross_entropy, 8)
    assert not model.training
    seen: list[bool] = []
    model.register_forward_pre_hook(lambda m, _inp: seen.append(m.training))
    optimiser = torch.optim.SGD(model.parameters(), lr=0.1)
    progress: list[tuple[int, int]] = []
    step = ModuleStep(model, optimiser, cross_entropy)
    loop = EpochLoop(model, split, 8, torch.Generator().manual_seed(0), optimiser, step, progress_interval=1e-9)
    out = train_one_epoch(loop, RunControl(), lambda step, steps, losses, elapsed: progress.append((step, steps)))
    assert seen == [True] * 4
    assert out.images == 30 and out.diverged_step is None and not out.stopped
    assert 0 <= out.acc <= 1 and math.isfinite(out.loss)
    assert progress[-1] == (4, 4)
