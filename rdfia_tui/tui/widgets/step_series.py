"""A per-step series (the batch loss) kept whole, smoothed point by point, and shown thinned.

A long run has tens of thousands of steps; the chart draws a few thousand of them. Smoothing the
thinned points instead of the steps made an EMA span more and more steps as the run went on (its
early points stood for 2, 4, 8... steps), so the value at an early epoch drifted back towards the
first step's loss. Here the smoothing runs over every step, the thinning only picks which points are
drawn, and the value at an epoch is read from every step.
"""

from __future__ import annotations

import bisect
from array import array
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from rdfia_tui.engine.smoothing import Smoothing, running

Derived = tuple[str, Smoothing, int]  # (what, smoothing, band window): a series computed from the steps


def _window_reduce(window: int, reduce: Callable[[deque[float]], float]) -> Callable[[float], float]:
    kept: deque[float] = deque(maxlen=window)

    def add(value: float) -> float:
        kept.append(value)
        return reduce(kept)

    return add


DERIVERS: dict[str, Callable[[Smoothing, int], Callable[[float], float]]] = {
    "smoothed": lambda smoothing, window: running(smoothing),
    "low": lambda smoothing, window: _window_reduce(window, min),
    "high": lambda smoothing, window: _window_reduce(window, max),
}


class StepSeries:
    """Finite (x, y) points in x order (x in epochs, fractional), every one kept (8 bytes each, x and y)."""

    def __init__(self) -> None:
        self.xs, self.ys = array("d"), array("d")
        self._derived: dict[Derived, tuple[array, Callable[[float], float]]] = {}

    def clear(self) -> None:
        self.xs, self.ys = array("d"), array("d")
        self._derived.clear()

    def append(self, x: float, y: float) -> None:
        self.xs.append(x)
        self.ys.append(y)

    def __len__(self) -> int:
        return len(self.xs)

    def derived(self, what: str, smoothing: Smoothing, window: int = 1) -> array:
        """Every step's smoothed value ("smoothed"), or the lowest / highest raw value of the last ``window``
        steps ("low" / "high"); computed once per step, and again from the start only when asked for new options."""
        key = (what, smoothing if what == "smoothed" else Smoothing(), window if what != "smoothed" else 1)
        if key not in self._derived:
            if len(self._derived) > 6:  # options no longer shown
                self._derived.clear()
            self._derived[key] = (array("d"), DERIVERS[what](smoothing, window))
        out, add = self._derived[key]
        out.extend(add(y) for y in self.ys[len(out) :])
        return out

    def picks(self, most: int) -> range:
        """The indices drawn: at most about ``most``, evenly spaced, always the last one."""
        stride = max(1, -(-len(self.xs) // max(most, 1)))
        return range((len(self.xs) - 1) % stride, len(self.xs), stride)

    def shown(self, values: array, most: int) -> tuple[list[float], list[float]]:
        """(xs, values) at the drawn indices."""
        picks = self.picks(most)
        return [self.xs[i] for i in picks], [values[i] for i in picks]

    def at(self, values: array, x: float) -> float | None:
        """``values`` at the last step at or before ``x`` (at epoch k: the epoch's last step); None before the first."""
        i = bisect.bisect_right(self.xs, x + 1e-9) - 1
        return values[i] if i >= 0 else None


@dataclass
class StepView:
    """How a chart shows a StepSeries: raw (``smoothing`` None), or smoothed with ``smoothing`` while the chart's
    own smoothing is off and with the chart's while it is on."""

    source: StepSeries
    smoothing: Smoothing | None = None

    def values(self, chart_smoothing: Smoothing) -> array:
        if self.smoothing is None:
            return self.source.ys
        return self.source.derived("smoothed", chart_smoothing if chart_smoothing.on else self.smoothing)
