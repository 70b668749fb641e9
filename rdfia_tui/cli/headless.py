"""The headless run's subscriber: one line per epoch, notices before the table, and on a terminal a
transient progress bar for the epoch's steps and for evaluation (images/s, ETA) that disappears when
the epoch's line is printed. Logs (not a terminal) get the plain lines only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rdfia_tui.cli import epoch_table
from rdfia_tui.cli.output import Output
from rdfia_tui.engine.events import BatchProgress, EpochEnded, EvaluationProgress, Event, Notice, RunFinished, RunStarted
from rdfia_tui.engine.patience import patience_text

SPLIT_WORDS = {"train": "evaluating the training set", "val": "evaluating val", "test": "evaluating test"}


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class ProgressBar:
    """rich's Progress, transient: one task at a time (an epoch's steps, or a split's evaluation)."""

    def __init__(self, output: Output) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            TextColumn("{task.fields[unit]}"),
            TextColumn("{task.fields[rate]}"),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[extra]}"),
            console=output.console,
            transient=True,
            refresh_per_second=4,
        )
        self.key: tuple[Any, ...] | None = None
        self.task: Any = None
        self.progress.start()

    def show(self, key: tuple[Any, ...], description: str, done: int, total: int, unit: str, rate: str, extra: str = "") -> None:
        if key != self.key:
            self.clear()
            self.key, self.task = key, self.progress.add_task(description, total=total, unit=unit, rate=rate, extra=extra)
        self.progress.update(self.task, completed=done, rate=rate, extra=extra)

    def clear(self) -> None:
        if self.task is not None:
            self.progress.remove_task(self.task)
        self.key = self.task = None

    def stop(self) -> None:
        self.clear()
        self.progress.stop()


class HeadlessView:
    """Turns engine events into printed lines (and a progress bar on a terminal)."""

    def __init__(self, output: Output | None = None) -> None:
        self.output = output or Output()
        self.columns: tuple[epoch_table.Column, ...] = ()
        self.header_printed = False
        self.bar: ProgressBar | None = None
        self.patience = ""  # early stopping's counter after the last epoch, shown beside the progress bar
        self.handlers: dict[type, Callable[[Any], None]] = {
            RunStarted: self.started,
            Notice: self.notice,
            BatchProgress: self.training,
            EvaluationProgress: self.evaluating,
            EpochEnded: self.epoch,
            RunFinished: self.finished,
        }

    def __call__(self, event: Event) -> None:
        handler = self.handlers.get(type(event))
        if handler is not None:
            handler(event)

    def started(self, event: RunStarted) -> None:
        width = self.output.console.width if self.output.console is not None else None
        self.columns = epoch_table.epoch_columns(event.epochs, width)
        self.output.line(
            f"{event.preset}: {event.params:,} parameters on {event.device} ({event.speed}); "
            f"{event.n_train:,} train / {event.n_val:,} val / {event.n_test:,} test; run folder {event.run_dir}"
        )
        if self.output.console is not None and not self.output.broken:
            self.bar = ProgressBar(self.output)

    def notice(self, event: Notice) -> None:
        self.output.line(f"note: {event.message}", style="yellow")

    def training(self, event: BatchProgress) -> None:
        if self.bar is not None:
            rate, run_eta = f"{event.images_per_s:,.0f} img/s", f"(run {_clock(event.eta_s)}){self.patience}"
            self.bar.show(("train", event.epoch), f"epoch {event.epoch}", event.step, event.steps, "steps", rate, run_eta)

    def evaluating(self, event: EvaluationProgress) -> None:
        if self.bar is not None:
            rate = f"{event.done / event.elapsed_s:,.0f} img/s" if event.elapsed_s > 0 else ""
            self.bar.show(("eval", event.epoch, event.split), SPLIT_WORDS[event.split], event.done, event.total, "images", rate)

    def epoch(self, event: EpochEnded) -> None:
        if event.patience is not None:
            self.patience = f"  {patience_text(event.patience)}"
        if self.bar is not None:
            self.bar.clear()
        if not self.header_printed:
            for text in epoch_table.header(self.columns):
                self.output.line(text, style="bold")
            self.header_printed = True
        self.output.line(epoch_table.row(self.columns, event.metrics), style="dim" if event.metrics.epoch == 0 else None)

    def finished(self, event: RunFinished) -> None:
        self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
