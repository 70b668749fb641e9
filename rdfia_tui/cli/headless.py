"""The headless run's subscriber: one line per epoch, notices before the table, and on a terminal a
transient progress bar for the epoch's steps and for evaluation (images/s, ETA) that disappears when
the epoch's line is printed. Logs (not a terminal) get the plain lines only.

The progress line fits the terminal's width as the console's status line does (engine.progress_line): the bar
shrinks first, then the rate, the step count and the run's ETA give way before the early-stopping counter, which
takes shorter forms ("pat 2/5") rather than going.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rdfia_tui.cli import epoch_table
from rdfia_tui.cli.output import Output
from rdfia_tui.engine.events import BatchProgress, EpochEnded, EvaluationProgress, Event, Notice, RunFinished, RunStarted
from rdfia_tui.engine.patience import patience_forms
from rdfia_tui.engine.progress_line import LineField, fit_line

SPLIT_WORDS = {"train": "evaluating the training set", "val": "evaluating val", "test": "evaluating test"}


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def progress_fields(task: Any) -> list[LineField]:
    """A progress task's fields after its bar, in the order shown: the count, the rate, the ETA (rich's estimate
    for the task, seconds), the run's ETA and the early-stopping counter, each with the kind it gives way as."""
    left = task.time_remaining
    fields = [LineField("count", (f"{int(task.completed):,}/{int(task.total or 0):,} {task.fields['unit']}",))]
    fields += [LineField("rate", (task.fields["rate"],))] if task.fields["rate"] else []
    fields += [LineField("eta", (f"ETA {_clock(left)}" if left is not None else "ETA -:--",))]
    fields += [LineField("run_eta", (task.fields["run_eta"],))] if task.fields["run_eta"] else []
    return fields + ([LineField("patience", task.fields["patience"])] if task.fields["patience"] else [])


def progress_line(task: Any, width: int) -> Any:
    """The task's line as rich Text, fitted to ``width`` columns (engine.progress_line.fit_line)."""
    from rich.text import Text

    head = str(task.description)
    fitted = fit_line(width, head, progress_fields(task), bar=True)
    line = Text(head)
    if fitted.bar_width:
        total = task.total or 0
        filled = round(fitted.bar_width * min(max(task.completed / total, 0.0), 1.0)) if total > 0 else 0
        line.append("  ")
        line.append("━" * filled, style="bar.complete")
        line.append("━" * (fitted.bar_width - filled), style="bar.back")
    for text in fitted.fields:
        line.append("  " + text)
    line.truncate(width, overflow="ellipsis")
    return line


class ProgressBar:
    """rich's Progress, transient: one task at a time (an epoch's steps, or a split's evaluation), drawn as one
    line that fits the terminal's width whenever it is redrawn (progress_line)."""

    def __init__(self, output: Output) -> None:
        from rich.progress import Progress, ProgressColumn

        console = output.console

        class FittedLine(ProgressColumn):
            def render(self, task: Any) -> Any:
                return progress_line(task, console.width)

        self.progress = Progress(FittedLine(), console=console, transient=True, refresh_per_second=4)
        self.key: tuple[Any, ...] | None = None
        self.task: Any = None
        self.progress.start()

    def show(
        self,
        key: tuple[Any, ...],
        description: str,
        done: int,
        total: int,
        unit: str,
        rate: str,
        run_eta: str = "",
        patience: tuple[str, ...] = (),
    ) -> None:
        """Start the task ``key`` (ending the one shown) or move it on; ``patience``: the counter's forms, longest first."""
        if key != self.key:
            self.clear()
            fields = {"unit": unit, "rate": rate, "run_eta": run_eta, "patience": patience}
            self.key, self.task = key, self.progress.add_task(description, total=total, **fields)
        self.progress.update(self.task, completed=done, rate=rate, run_eta=run_eta, patience=patience)

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
        self.patience: tuple[str, ...] = ()  # early stopping's counter after the last epoch, its forms longest first
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
            rate, run_eta = f"{event.images_per_s:,.0f} img/s", f"(run {_clock(event.eta_s)})"
            self.bar.show(("train", event.epoch), f"epoch {event.epoch}", event.step, event.steps, "steps", rate, run_eta, self.patience)

    def evaluating(self, event: EvaluationProgress) -> None:
        if self.bar is not None:
            rate = f"{event.done / event.elapsed_s:,.0f} img/s" if event.elapsed_s > 0 else ""
            self.bar.show(("eval", event.epoch, event.split), SPLIT_WORDS[event.split], event.done, event.total, "images", rate)

    def epoch(self, event: EpochEnded) -> None:
        if event.patience is not None:
            self.patience = patience_forms(event.patience)
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
