"""A scripted stand-in for the engine, so UI tests run in milliseconds without torch, and the Pilot helpers the
console's tests share (make an app, wait for a condition, type into the form, write a fake run folder)."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

from textual.widgets import Input

from rdfia_tui.engine.config import RunConfig
from rdfia_tui.engine.control import RunControl
from rdfia_tui.engine.events import (
    BatchProgress,
    BoundaryUpdated,
    Emit,
    EpochEnded,
    EpochMetrics,
    Event,
    Notice,
    PlanePoints,
    RunFinished,
    RunStarted,
    SamplePredictions,
)
from rdfia_tui.engine.layers import LayerRow, LayerTable
from rdfia_tui.tui.app import RdfiaApp, create_app
from rdfia_tui.tui.options import AppOptions
from rdfia_tui.tui.widgets.config_form import FieldRow, field_id


def scripted_metrics(epoch: int, epochs: int, lr: float) -> EpochMetrics:
    """Made-up but recognisable curves: loss 1/(e+1), accuracy climbing to 90%."""
    loss = 1.0 / (epoch + 1)
    acc = 0.5 + 0.4 * epoch / max(epochs, 1)
    return EpochMetrics(
        epoch, loss, acc, loss * 1.1, acc - 0.02, loss * 1.2, acc - 0.05, lr, 0.0 if epoch == 0 else 0.5, 0.0 if epoch == 0 else 1000.0
    )


def scripted_confusion(epoch: int, n: int) -> tuple[tuple[int, ...], ...]:
    """Row i sums to 10 + i: min(epoch + i, 10 + i) right, the rest predicted as class (i + 1) mod n."""
    rows = []
    for i in range(n):
        right = min(epoch + i, 10 + i)
        row = [0] * n
        row[i] += right
        row[(i + 1) % n] += 10 + i - right
        rows.append(tuple(row))
    return tuple(rows)


def scripted_image(k: int, channels: int = 3, size: int = 4) -> tuple[tuple[tuple[int, ...], ...], ...]:
    """A flat image whose colour depends on ``k``: channel c holds (k * 40 + c * 100) mod 256."""
    return tuple(tuple(tuple((k * 40 + c * 100) % 256 for _ in range(size)) for _ in range(size)) for c in range(channels))


def scripted_samples(epoch: int, class_names: tuple[str, ...], channels: int = 3) -> SamplePredictions:
    """One image per class; image i is predicted right from epoch i on, as the next class before."""
    n = len(class_names)
    true = tuple(range(n))
    predicted = tuple(i if epoch >= i else (i + 1) % n for i in true)
    return SamplePredictions(epoch, tuple(scripted_image(i, channels) for i in true), true, predicted, class_names)


class ScriptedEngine:
    """Emits RunStarted, epoch 0, ``steps`` progress events per epoch, and RunFinished; honours the controls.

    ``confusion`` adds a confusion matrix to each EpochEnded and ``samples`` a SamplePredictions after it,
    as the real engine does for image data; every event sent is kept in ``events``.
    """

    def __init__(
        self,
        *,
        steps: int = 4,
        step_delay: float = 0.0,
        diverge_at: int | None = None,
        run_name: str = "fake-run",
        plane: bool = True,
        confusion: bool = False,
        samples: bool = False,
        class_names: tuple[str, ...] = ("0", "1"),
        channels: int = 3,
        hold_after_epoch: int | None = None,
    ) -> None:
        self.hold_after_epoch = hold_after_epoch  # then wait, running, until stopped: a frozen mid-run screen
        self.plane = plane
        self.confusion = confusion
        self.samples = samples
        self.class_names = class_names
        self.channels = channels
        self.events: list[Event] = []
        self.steps = steps
        self.step_delay = step_delay
        self.diverge_at = diverge_at
        self.run_name = run_name
        self.runs: list[RunConfig] = []
        self.resumed: list[Path | None] = []
        self.lr_requests: list[float] = []
        self.progress_sent = 0
        self.controls: list[RunControl] = []
        self.holding = False

    def layer_table(self, cfg: RunConfig, data_root: str | None) -> LayerTable:
        rows, width = [], 2
        for i, size in enumerate((*cfg.model.hidden, 2), start=1):
            rows.append(LayerRow(f"fc{i}", "Linear", (size,), width * size + size))
            width = size
        return LayerTable((2,), rows)

    def epoch_ended(self, emit: Emit, epoch: int, epochs: int, lr: float) -> None:
        confusion = scripted_confusion(epoch, len(self.class_names)) if self.confusion else ()
        emit(EpochEnded(scripted_metrics(epoch, epochs, lr), epochs, confusion))
        if self.samples:
            emit(scripted_samples(epoch, self.class_names, self.channels))
        if self.plane:
            emit(BoundaryUpdated(epoch, split_grid(epoch / max(epochs, 1)), (-1.0, 1.0), (-1.0, 1.0)))

    def run(
        self, cfg: RunConfig, emit: Emit, control: RunControl, runs_dir: Path, data_root: str | None, resume: Path | None = None
    ) -> None:
        self.resumed.append(resume)

        def record(event: Event) -> None:
            self.events.append(event)
            emit(event)

        return self._run(cfg, record, control, runs_dir)

    def _run(self, cfg: RunConfig, emit: Emit, control: RunControl, runs_dir: Path) -> None:
        self.runs.append(cfg)
        self.controls.append(control)
        run_dir = Path(runs_dir) / self.run_name
        epochs, lr = cfg.train.epochs, cfg.optim.lr
        emit(RunStarted(run_dir, cfg.name, cfg.to_dict(), "cpu", 22, [], 800, 200, 500, epochs, self.steps, self.class_names))
        if self.plane:  # before epoch 0, as the real engine sends it
            emit(PlanePoints(((-0.5, 0.5), (0.5, -0.5)), (0, 1), (-1.0, 1.0), (-1.0, 1.0)))
        self.epoch_ended(emit, 0, epochs, lr)

        def finish(status: str, message: str = "", done: int = 0) -> None:
            emit(RunFinished(run_dir, status, message, {"epochs_completed": done, "status": status}))

        for epoch in range(1, epochs + 1):
            for step in range(1, self.steps + 1):
                while control.pause.is_set() and not control.stop.is_set():
                    time.sleep(0.005)
                if control.stop.is_set():
                    return finish("stopped", f"stopped by request during epoch {epoch}", epoch - 1)
                new_lr = control.take_lr()
                if new_lr is not None:
                    lr = new_lr
                    self.lr_requests.append(new_lr)
                    emit(Notice(f"learning rate set to {new_lr:g} at epoch {epoch}, step {step}"))  # as the engine says it
                time.sleep(self.step_delay)
                if self.diverge_at == epoch:
                    return finish("diverged", f"the loss became non-finite at epoch {epoch}, step {step}", epoch - 1)
                self.progress_sent += 1
                loss = 1.0 / (epoch + step / self.steps)
                emit(BatchProgress(epoch, step, self.steps, loss, 1234.0, (epochs - epoch) * 1.0, (loss,)))
            self.epoch_ended(emit, epoch, epochs, lr)
            if epoch == self.hold_after_epoch:
                self.holding = True
                control.stop.wait()
                return finish("stopped", f"stopped by request after epoch {epoch}", epoch)
        return finish("completed", "", epochs)


def split_grid(fraction: float, width: int = 16, height: int = 8) -> tuple[tuple[int, ...], ...]:
    """Class 1 on the right-hand ``fraction`` of the plane, class 0 elsewhere."""
    edge = round(width * (1 - fraction))
    return tuple(tuple(int(c >= edge) for c in range(width)) for _ in range(height))


def finite(values: list[float]) -> list[float]:
    return [v for v in values if math.isfinite(v)]


async def wait_for(pilot, condition, timeout: float = 30.0) -> None:
    """Let the app run until ``condition()`` holds; fail after ``timeout`` seconds (generous: a loaded 2-core CI machine is slow)."""
    waited = 0.0
    while not condition():
        if waited >= timeout:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.02)
        waited += 0.02


async def ready(pilot, app: RdfiaApp) -> None:
    """Wait until the form holds the preset and the layer table is drawn."""
    await wait_for(pilot, lambda: app.main.form.config is not None and "total parameters" in app.main.layer_view.message)


async def type_into(pilot, app: RdfiaApp, key: str, text: str) -> FieldRow:
    row = app.main.form.rows()[key]
    editor = app.main.query_one("#" + field_id(key), Input)
    editor.value = text
    await pilot.pause()
    return row


def make_app(tmp_path: Path, engine=None, **kwargs) -> RdfiaApp:
    return create_app(AppOptions(runs_dir=tmp_path / "runs", **kwargs), engine=engine or ScriptedEngine())


def write_run(runs: Path, name: str, lr: float, accs: list[float], status: str = "completed") -> Path:
    from rdfia_tui.engine import config as config_mod
    from rdfia_tui.engine.presets import load_preset

    cfg = config_mod.with_value(load_preset("circles-mlp"), "optim.lr", lr)
    run = runs / name
    run.mkdir(parents=True)
    (run / "config.toml").write_text(config_mod.dumps(cfg))
    epochs = [{"epoch": i, "test_acc": a, "test_loss": 1 - a} for i, a in enumerate(accs)]
    summary = {
        "status": status,
        "preset": cfg.name,
        "run_dir": str(run),
        "config": cfg.to_dict(),
        "epochs": epochs,
        "epochs_completed": len(accs) - 1,
        "final_test_acc": accs[-1],
        "best_test_acc": max(accs),
        "started_at": "2026-11-20T10:00:00+0000",
    }
    (run / "summary.json").write_text(json.dumps(summary))
    return run
