"""A torch-free stand-in for ``rdfia-tui run PRESET --runs-dir DIR`` (and ``resume RUN_DIR``): a process of its own
that records a run folder and publishes scripted events through the engine's own publisher, taking commands as a
real run does. The console's process path (launch, follow, attach, detach) is tested with it in milliseconds.

Environment: FAKE_STEPS (steps per epoch, default 4), FAKE_STEP_S (seconds per step, default 0.01),
FAKE_REFUSE (exit 2 with that message before the run starts).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from rdfia_tui.engine.control import RunControl
from rdfia_tui.engine.events import BatchProgress, EpochEnded, EpochMetrics, Notice, RunFinished, RunStarted
from rdfia_tui.engine.live.launch import READY_ENV, announce_started
from rdfia_tui.engine.live.publish import published
from rdfia_tui.engine.presets import load_preset
from rdfia_tui.engine.runs.record import RunRecord
from rdfia_tui.engine.runs.status import RunStatus


def metrics(epoch: int, epochs: int, lr: float) -> EpochMetrics:
    loss, acc = 1.0 / (epoch + 1), 0.5 + 0.4 * epoch / max(epochs, 1)
    return EpochMetrics(epoch, loss, acc, loss * 1.1, acc - 0.02, loss * 1.2, acc - 0.05, lr, 0.1 * (epoch > 0), 1000.0 * (epoch > 0))


def train(record: RunRecord, emit, control: RunControl, steps: int, step_s: float) -> tuple[RunStatus, str]:
    cfg = record.config
    epochs, lr = cfg.train.epochs, cfg.optim.lr
    for epoch in range(1, epochs + 1):
        for step in range(1, steps + 1):
            while control.pause.is_set() and not control.stop.is_set():
                time.sleep(0.005)
            if control.stop.is_set():
                return RunStatus.STOPPED, f"stopped by request after epoch {epoch - 1}"
            new_lr = control.take_lr()
            if new_lr is not None:
                lr = new_lr
                record.lr_changes.append({"epoch": epoch, "step": step, "lr": new_lr})
                emit(Notice(f"learning rate set to {new_lr:g} at epoch {epoch}, step {step}"))
            time.sleep(step_s)
            loss = 1.0 / (epoch + step / steps)
            emit(BatchProgress(epoch, step, steps, loss, 1000.0, (epochs - epoch) * steps * step_s, (loss,)))
        add_epoch(record, emit, metrics(epoch, epochs, lr), epochs)
    return RunStatus.COMPLETED, ""


def add_epoch(record: RunRecord, emit, m: EpochMetrics, epochs: int) -> None:
    record.epochs.append(m)
    record.write()
    emit(EpochEnded(m, epochs))


def main(argv: list[str]) -> int:
    if os.environ.get("FAKE_REFUSE"):
        print(f"rdfia-tui: error: {os.environ['FAKE_REFUSE']}", file=sys.stderr)
        return 2
    command, target = argv[0], argv[1]
    runs_dir = Path(argv[argv.index("--runs-dir") + 1]) if "--runs-dir" in argv else Path(target).parent
    cfg = load_preset(target) if command == "run" else load_preset(str(Path(target) / "config.toml"))
    sizes = {"train": 800, "val": 200, "test": 500}
    record = RunRecord.create(runs_dir, cfg, device="cpu", layers={"rows": [], "total_params": 22}, sizes=sizes, class_names=("0", "1"))
    steps, step_s = int(os.environ.get("FAKE_STEPS", "4")), float(os.environ.get("FAKE_STEP_S", "0.01"))
    control = RunControl()

    def forward(event) -> None:
        if isinstance(event, RunStarted) and READY_ENV in os.environ:
            announce_started(event.run_dir)

    with published(record.run_dir, forward, control) as emit:
        emit(RunStarted(record.run_dir, cfg.name, cfg.to_dict(), "cpu", 22, [], 800, 200, 500, cfg.train.epochs, steps, ("0", "1")))
        add_epoch(record, emit, metrics(0, cfg.train.epochs, cfg.optim.lr), cfg.train.epochs)
        status, message = train(record, emit, control, steps, step_s)
        summary = record.finish(status, message)
        emit(RunFinished(record.run_dir, status, message, summary))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
