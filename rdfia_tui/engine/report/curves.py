"""The figures of a report as data: a run's loss and accuracy per epoch, its confusion matrix, and several runs'
test curves overlaid (a sweep's points, or the runs compared). Accuracies are drawn in %; epoch 0 is before training.

Titles name what a figure shows, never the run or sweep: the section heading above names it, and a title must fit the
figure whatever the folder is called. The run's name goes into each figure's ``alt`` text instead."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from rdfia_tui.engine.events import EpochMetrics
from rdfia_tui.engine.report.document import Figure, LinePlot, MatrixPlot, Series, SideBySide
from rdfia_tui.engine.report.gather import RunData

SPLITS = ("train", "val", "test")
EPOCH = "epoch (0 = before training)"


def _column(epochs: Sequence[EpochMetrics], name: str, scale: float = 1.0) -> tuple[float, ...]:
    return tuple(scale * getattr(m, name) for m in epochs)


def _xs(epochs: Sequence[EpochMetrics]) -> tuple[float, ...]:
    return tuple(float(m.epoch) for m in epochs)


def _measured(series: list[Series]) -> tuple[Series, ...]:
    """The series that hold at least one number (a run without a val split has none for val)."""
    return tuple(s for s in series if any(math.isfinite(y) for y in s.ys))


def loss_plot(run: RunData) -> LinePlot:
    """Train, val and test loss per epoch."""
    series = [Series(split, _xs(run.epochs), _column(run.epochs, f"{split}_loss")) for split in SPLITS]
    return LinePlot("loss", EPOCH, f"loss ({run.config.train.loss.replace('_', '-')}, mean per example)", _measured(series))


def accuracy_plot(run: RunData) -> LinePlot:
    """Train, val and test accuracy per epoch in %, with the best test epoch marked."""
    series = [Series(split, _xs(run.epochs), _column(run.epochs, f"{split}_acc", 100.0)) for split in SPLITS]
    best = run.summary.get("best_epoch")
    marks = ((float(best), f"best test (epoch {best})"),) if isinstance(best, int) else ()
    return LinePlot("accuracy", EPOCH, "accuracy (%)", _measured(series), marks)


def run_curves(run: RunData, slug: str) -> SideBySide:
    """The loss and the accuracy figures of one run, side by side."""
    plots = (("loss", loss_plot(run)), ("accuracy", accuracy_plot(run)))
    return SideBySide(tuple(Figure(f"{slug}-{what}", plot, f"{run.name}: {plot.title}") for what, plot in plots))


def confusion_plot(run: RunData) -> MatrixPlot:
    """The last test confusion matrix (rows: the true class)."""
    last = run.epochs[-1].epoch if run.epochs else None
    when = f", epoch {last}" if last is not None else ""
    return MatrixPlot(f"test confusion matrix{when}", run.class_names, run.confusion)


# what an overlay draws, by name: (title, y label, the value of one epoch)
OVERLAYS: dict[str, tuple[str, str, Callable[[EpochMetrics], float]]] = {
    "test-accuracy": ("test accuracy", "test accuracy (%)", lambda m: 100 * m.test_acc),
    "test-loss": ("test loss", "test loss (mean per example)", lambda m: m.test_loss),
}


def overlay_plot(each: str, what: str, runs: Sequence[tuple[str, RunData]]) -> LinePlot:
    """One line per labelled run of the quantity ``what`` (a key of OVERLAYS) per epoch; ``each`` names a line ("run",
    "point") in the title."""
    name, y_label, value = OVERLAYS[what]
    series = [Series(label, _xs(run.epochs), tuple(value(m) for m in run.epochs)) for label, run in runs]
    return LinePlot(f"{name} of each {each}", EPOCH, y_label, _measured(series))


def overlays(whose: str, each: str, runs: Sequence[tuple[str, RunData]], slug: str) -> SideBySide:
    """Test accuracy and test loss of every labelled run, overlaid, side by side; ``whose`` (a sweep's name, "runs
    compared") begins their alt text."""
    plots = [(what, overlay_plot(each, what, runs)) for what in OVERLAYS]
    return SideBySide(tuple(Figure(f"{slug}-{what}", plot, f"{whose}: {plot.title}") for what, plot in plots))
