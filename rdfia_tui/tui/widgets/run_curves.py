"""The run's two charts, fed from the engine's events: loss and accuracy per epoch, the loss per step, a shared x extent."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rdfia_tui.engine.events import BatchProgress, EpochMetrics
from rdfia_tui.tui.widgets.charts import SeriesChart

SMOOTHING = 0.9  # per-step weight of the past in the batch loss's moving average
MAX_BATCH_POINTS = 4000  # the raw per-batch series is thinned beyond this


class RunCurves:
    """The loss and accuracy charts of the main screen, for one run at a time."""

    def __init__(self, loss: SeriesChart, acc: SeriesChart) -> None:
        self.loss, self.acc = loss, acc
        self._smoothed: float | None = None

    def reset(self) -> None:
        """A new run: empty charts, the raw step losses faint, accuracy on 0-100%."""
        self._smoothed = None
        self.loss.clear()
        self.loss.faint = {"steps"}
        self.acc.clear()
        self.acc.ylim = (0, 100)

    def add_epoch(self, m: EpochMetrics) -> None:
        """One epoch's loss and accuracy per split (non-finite values left out); the test values as captions."""
        for split in ("train", "val", "test"):
            loss, acc = getattr(m, f"{split}_loss"), getattr(m, f"{split}_acc")
            if math.isfinite(loss):
                self.loss.append(split, m.epoch, loss)
            if math.isfinite(acc):
                self.acc.append(split, m.epoch, 100 * acc)
        if math.isfinite(m.test_loss):
            self.loss.caption = f"test {m.test_loss:.4f}"
        if math.isfinite(m.test_acc):
            self.acc.caption = f"test {100 * m.test_acc:.1f}%"
        self.set_x_extent(m.epoch)

    def add_steps(self, event: BatchProgress, losses: Sequence[float]) -> None:
        """Per-batch losses (raw, and an exponential moving average per step), the last ending at ``event.step``."""
        steps = max(event.steps, 1)
        first = event.step - len(losses) + 1
        for i, loss in enumerate(losses):
            if not math.isfinite(loss):
                continue
            x = event.epoch - 1 + (first + i) / steps
            self._smoothed = loss if self._smoothed is None else SMOOTHING * self._smoothed + (1 - SMOOTHING) * loss
            self.loss.append("steps", x, loss)
            self.loss.append("steps (avg)", x, self._smoothed)
        for name in ("steps", "steps (avg)"):
            self.loss.thin(name, MAX_BATCH_POINTS)
        self.set_x_extent(event.epoch - 1 + event.step / steps)

    def set_x_extent(self, epochs: float) -> None:
        """Both charts span the same epochs, so their ticks line up."""
        for chart in (self.loss, self.acc):
            if math.ceil(epochs) != math.ceil(chart.x_last or 0):
                chart._dirty = True  # a new whole epoch on the axis: both charts redraw together
            chart.x_last = epochs
