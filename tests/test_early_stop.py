"""Early stopping: the counter, its config and records, the best weights restored, exact resume, and the console's status line."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
import torch
from tui_fakes import ScriptedEngine, make_app, wait_for

from rdfia_tui.cli.main import main
from rdfia_tui.engine.config import ConfigError, apply_overrides
from rdfia_tui.engine.control import RunControl
from rdfia_tui.engine.early_stop import EarlyStopping
from rdfia_tui.engine.errors import RecordError
from rdfia_tui.engine.events import Emit, EpochEnded, EpochMetrics, Patience
from rdfia_tui.engine.live.stream import decode, encode
from rdfia_tui.engine.patience import patience_text
from rdfia_tui.engine.presets import load_preset
from rdfia_tui.engine.runs.checkpoint import load_checkpoint
from rdfia_tui.engine.runs.resume import resume_config
from rdfia_tui.engine.runs.status import RunStatus
from rdfia_tui.engine.runs.summary import read_summary
from rdfia_tui.engine.stop_rules import early_stop_rule
from rdfia_tui.engine.training import fit

# 48 noisy training points and two 128-unit layers: the validation loss turns up within a few epochs
OVERFIT = ["data.dataset=moons", "data.n_samples=60", "data.noise=0.35", "model.hidden=128,128", "model.activation=relu",
           "train.batch_size=8", "train.epochs=200", "train.device=cpu", "train.early_stop_patience=4"]  # fmt: skip


def overfitting(*more: str):
    return apply_overrides(load_preset("circles-mlp"), [*OVERFIT, *more])


def metrics(epoch: int, val_loss: float, val_acc: float = 0.5) -> EpochMetrics:
    return EpochMetrics(epoch, 0.1, 0.9, val_loss, val_acc, 0.3, 0.8, 0.1, 1.0, 100.0)


# --------------------------------------------------------------------------- the counter and its rule


def test_the_counter_resets_on_a_strict_improvement_and_the_rule_fires_at_the_patience() -> None:
    stopper, model = EarlyStopping("val_loss", 3, restore_best=True), torch.nn.Linear(2, 2)
    seen = [stopper.observe(metrics(e, loss), model) for e, loss in enumerate([0.9, 0.8, 0.8, 0.85, 0.7, 0.75, 0.71, 0.9])]
    assert [p.waited for p in seen] == [0, 0, 1, 2, 0, 1, 2, 3]
    assert (seen[-1].best_epoch, seen[-1].best_value) == (4, 0.7)
    assert early_stop_rule(seen[-2], 6, 10) is None
    ending = early_stop_rule(seen[-1], 7, 10)
    assert ending is not None and ending.status == RunStatus.EARLY_STOPPED
    assert ending.message == "val_loss did not improve for 3 epochs (best 0.7 at epoch 4); stopped after epoch 7/10"
    assert early_stop_rule(seen[-1], 10, 10) is None  # patience ran out at the last epoch: the run completed


def test_val_acc_is_better_when_higher_and_is_said_as_a_percentage() -> None:
    stopper = EarlyStopping("val_acc", 5, restore_best=False)
    for epoch, acc in enumerate([0.5, 0.712, 0.70, 0.712]):
        counter = stopper.observe(metrics(epoch, 1.0, acc), torch.nn.Linear(2, 2))
    assert stopper.best_weights is None  # restore_best off: no copy kept
    assert patience_text(counter) == "patience 2/5, best 71.2% at epoch 1"


def test_the_counter_rides_on_epoch_ended_through_the_event_stream() -> None:
    event = EpochEnded(metrics(3, 0.5), 10, ((1, 0), (0, 1)), Patience("val_loss", 2, 5, 1, 0.4125))
    assert decode(encode(event)) == event
    assert decode(encode(EpochEnded(metrics(3, 0.5), 10))).patience is None


# --------------------------------------------------------------------------- config


@pytest.mark.parametrize(
    ("overrides", "said"),
    [
        (["train.early_stop_patience=5", "data.val_split=0"], "set data.val_split=0.1"),
        (["train.early_stop_patience=-1"], "must be at least 0"),
        (["train.early_stop_metric=test_acc"], "allowed: val_loss, val_acc"),
    ],
)
def test_config_mistakes_say_what_to_do(overrides: list[str], said: str) -> None:
    with pytest.raises(ConfigError, match=said):
        apply_overrides(load_preset("circles-mlp"), overrides)


# --------------------------------------------------------------------------- real runs


def test_an_overfitting_run_stops_early_with_its_best_epochs_weights(runs_dir: Path) -> None:
    patience: list[Patience] = []
    result = fit(overfitting("train.checkpoint=epoch"), lambda e: isinstance(e, EpochEnded) and patience.append(e.patience))
    summary = read_summary(result.run_dir)
    early, last = summary["early_stop"], summary["epochs"][-1]["epoch"]
    assert result.status == RunStatus.EARLY_STOPPED and summary["status"] == "early-stopped" and RunStatus.EARLY_STOPPED.exit_code == 0
    assert 4 < last < 200 and early["stopped_after"] == last and last - early["best_epoch"] == 4
    best = summary["epochs"][early["best_epoch"]]
    assert early["best_value"] == best["val_loss"] == min(e["val_loss"] for e in summary["epochs"])
    # the restored weights measure exactly what the best epoch measured, and are what the checkpoint holds
    assert summary["final_test_acc"] == early["restored_test_acc"] == best["test_acc"]
    assert "restored the weights of epoch" in summary["message"] and early["reason"] in summary["message"]
    assert [p.waited for p in patience[-5:]] == [0, 1, 2, 3, 4]
    # the same seed trained for exactly the best epoch's count gives the same weights as the restored checkpoint
    short = fit(overfitting(f"train.epochs={early['best_epoch']}", "train.early_stop_patience=0", "train.checkpoint=epoch"))
    restored, reference = load_checkpoint(result.run_dir)["model"], load_checkpoint(short.run_dir)["model"]
    assert restored.keys() == reference.keys() and all(torch.equal(restored[k], reference[k]) for k in restored)


def test_the_counter_and_best_weights_survive_an_exact_resume(runs_dir: Path) -> None:
    cfg = overfitting("train.checkpoint=epoch")
    whole = read_summary(fit(cfg).run_dir)

    def stopped_two_epochs_before() -> Path:  # mid-count: the counter is 2/4 when the run stops
        control = RunControl()

        def emit(event) -> None:
            if isinstance(event, EpochEnded) and event.metrics.epoch == whole["early_stop"]["stopped_after"] - 2:
                control.stop.set()

        return fit(cfg, emit, control)

    part = stopped_two_epochs_before()
    assert part.status == RunStatus.STOPPED and read_summary(part.run_dir)["early_stop"]["waited"] == 2
    resumed = read_summary(fit(cfg, resume=part.run_dir).run_dir)
    assert resumed["status"] == "early-stopped"
    assert [{k: v for k, v in e.items() if k not in ("seconds", "images_per_s")} for e in resumed["epochs"]] == [
        {k: v for k, v in e.items() if k not in ("seconds", "images_per_s")} for e in whole["epochs"]
    ]
    assert resumed["early_stop"] == whole["early_stop"]
    assert resumed["final_test_acc"] == whole["final_test_acc"]
    # an early-stopped run is a result: resuming it is refused in one line, and the early-stop keys may change on resume
    with pytest.raises(RecordError, match=r"stopped early after epoch \d+ \(best epoch \d+\); .* larger train.early_stop_patience"):
        resume_config(part.run_dir)
    again = resume_config(stopped_two_epochs_before().run_dir, ["train.early_stop_patience=9", "train.early_stop_metric=val_acc"])
    assert (again.train.early_stop_patience, again.train.early_stop_metric) == (9, "val_acc")


def test_the_headless_run_says_it_stopped_early_and_exits_0(runs_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "circles-mlp", *(f"--set={o}" for o in OVERFIT), "--set=train.restore_best=false"])
    out = capsys.readouterr().out
    assert code == 0
    assert "early-stopped: val_loss did not improve for 4 epochs" in out and "restored" not in out
    assert "early-stopped: final test accuracy" in out


# --------------------------------------------------------------------------- the console


class PatientEngine(ScriptedEngine):
    """The scripted run with early stopping: val_acc best at epoch 1 (71.2%), then no better; it waits after epoch 2
    until ``go`` is set, then stops early after epoch 3."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.go = threading.Event()

    def epoch_ended(self, emit: Emit, epoch: int, epochs: int, lr: float) -> None:
        counter = Patience("val_acc", max(0, epoch - 1), 5, min(epoch, 1), 0.712)
        emit(EpochEnded(metrics(epoch, 0.5, 0.712), epochs, (), counter))
        if epoch == 2:
            self.go.wait(30)

    def _run(self, cfg, emit: Emit, control, runs_dir):
        def early(event) -> None:
            if getattr(event, "status", None) == "completed":
                event = type(event)(event.run_dir, "early-stopped", "val_acc did not improve for 2 epochs", {"epochs_completed": 3})
            emit(event)

        return super()._run(cfg, early, control, runs_dir)


async def test_the_status_line_shows_the_counter_and_the_console_rings_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RDFIA_TUI_NO_ALERT", raising=False)
    engine = PatientEngine(steps=3, plane=False)
    app = make_app(tmp_path, engine, overrides=["train.epochs=3"])
    rings: list[int] = []
    monkeypatch.setattr(app, "bell", lambda: rings.append(1))
    seen: list[str] = []
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: app.main.form.config is not None)
        await pilot.press("s")
        await wait_for(pilot, lambda: "patience 1/5" in app.main.status_line.text)
        seen.append(app.main.status_line.text)
        engine.go.set()
        await wait_for(pilot, lambda: not app.running and app.last_status == "early-stopped")
        seen.append(app.main.status_line.text)
    assert "patience 1/5, best 71.2% at epoch 1" in seen[0]
    assert seen[1] == "stopped early (3/3 epochs)"
    assert rings == [1]


async def test_the_counter_stays_on_the_status_line_of_a_narrow_console(tmp_path: Path) -> None:
    """At 120 columns and below the counter outranks the bar's width and the rate; narrow, it takes a short form."""
    engine = PatientEngine(steps=3, plane=False)
    app = make_app(tmp_path, engine, overrides=["train.epochs=3"])
    seen: dict[int, str] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.main.form.config is not None)
        await pilot.press("s")
        await wait_for(pilot, lambda: "patience 1/5" in app.main.status_line.text)
        seen[120] = app.main.status_line.text
        for columns in (100, 80):  # the status line is 75, 62 and 78 columns wide (the form hides at 80 during a run)
            width = app.main.status_line.size.width
            await pilot.resize_terminal(columns, 40)
            await wait_for(pilot, lambda w=width: app.main.status_line.size.width != w)
            seen[columns] = app.main.status_line.text
        engine.go.set()
        await wait_for(pilot, lambda: not app.running)
    assert "patience 1/5, best 71.2%" in seen[120]
    assert all(re.search(r"\bpat(ience)? 1/5\b", text) for text in seen.values()), seen
    assert all("img/s" not in text for text in seen.values() if "at epoch 1" not in text), seen


def test_every_status_has_a_colour_a_word_and_an_exit_code() -> None:
    for status in RunStatus:
        assert status.colour and status.word and isinstance(status.exit_code, int)
    assert RunStatus.EARLY_STOPPED.is_result and RunStatus.EARLY_STOPPED.ended and RunStatus.EARLY_STOPPED.succeeded
