"""The run's two charts, fed from the engine's events: loss and accuracy per epoch, the loss per step, a shared x extent."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rdfia_tui.engine.events import BatchProgress, EpochMetrics
from rdfia_tui.engine.smoothing import Smoothing
from rdfia_tui.tui.widgets.charts import SeriesChart
from rdfia_tui.tui.widgets.step_series import StepSeries, StepView

SMOOTHING = 0.9  # per-step weight of the past in the batch loss's moving average (while the chart's smoothing is off)
STEP_SERIES = ("steps", "steps (avg)")


class RunCurves:
    """The loss and accuracy charts of the main screen, for one run at a time."""

    def __init__(self, loss: SeriesChart, acc: SeriesChart) -> None:
        self.loss, self.acc = loss, acc
        self.steps = StepSeries()

    @property
    def charts(self) -> tuple[SeriesChart, SeriesChart]:
        return self.loss, self.acc

    def reset(self) -> None:
        """A new run: empty charts, the raw step losses faint, accuracy on 0-100%. The key shows each
        split's value at the cursor epoch; with the chart's smoothing on, the step average is that smoothing
        (over every step, whatever number of them is drawn)."""
        self.steps.clear()
        self.loss.clear()
        self.loss.faint = {"steps"}
        self.loss.steps = {"steps": StepView(self.steps), "steps (avg)": StepView(self.steps, Smoothing("ema", weight=SMOOTHING))}
        self.loss.per_step = set(STEP_SERIES)
        self.acc.clear()
        self.acc.ylim = (0, 100)

    def add_epoch(self, m: EpochMetrics) -> None:
        """One epoch's loss and accuracy (a 0-1 fraction, drawn as %) per split; non-finite values left out."""
        for split in ("train", "val", "test"):
            loss, acc = getattr(m, f"{split}_loss"), getattr(m, f"{split}_acc")
            if math.isfinite(loss):
                self.loss.append(split, m.epoch, loss)
            if math.isfinite(acc):
                self.acc.append(split, m.epoch, 100 * acc)
        self.set_x_extent(m.epoch)

    def add_steps(self, event: BatchProgress, losses: Sequence[float]) -> None:
        """Per-batch losses (raw, and their debiased moving average per step), the last ending at ``event.step``."""
        steps = max(event.steps, 1)
        first = event.step - len(losses) + 1
        for i, loss in enumerate(losses):
            if not math.isfinite(loss):
                continue
            self.steps.append(event.epoch - 1 + (first + i) / steps, loss)
        if len(self.steps):
            for name in STEP_SERIES:
                self.loss.series.setdefault(name, ([], []))  # the points are the StepSeries'
            self.loss._dirty = True
        self.set_x_extent(event.epoch - 1 + event.step / steps)

    def set_x_extent(self, epochs: float) -> None:
        """Both charts span the same epochs, so their ticks line up."""
        for chart in self.charts:
            if math.ceil(epochs) != math.ceil(chart.x_last or 0):
                chart._dirty = True  # a new whole epoch on the axis: both charts redraw together
            chart.x_last = epochs
