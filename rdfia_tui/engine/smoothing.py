"""Smoothing of a noisy curve (per-step loss, per-epoch accuracy): a debiased moving average, a window mean, a min/max band.

Pure Python on lists, no torch and no screen library, so the console's charts and the command line's
summaries smooth alike. Every function keeps the length of its input: point i of the output belongs
to point i of the input, and only points up to i are used (a live curve never looks ahead).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

EMA_WEIGHTS = (0.0, 0.3, 0.6, 0.8, 0.9, 0.95, 0.99)  # the weights [ and ] step through
WINDOWS = (3, 5, 9, 15, 25, 51, 101)  # the window sizes [ and ] step through


def ema(values: Sequence[float], weight: float) -> list[float]:
    """Exponential moving average of ``values`` with ``weight`` (0 <= weight < 1) on the past, debiased.

    ``last = weight * last + (1 - weight) * v`` starts from 0, so its early values lean towards 0;
    dividing by ``1 - weight ** n`` (n = finite values seen so far) removes that bias, as
    TensorBoard's scalar charts do (tensorflow/tensorboard, ``classicSmoothing`` in
    tensorboard/webapp/widgets/line_chart_v2/data_transformer.ts, formerly ``resmoothDataset`` in
    vz_line_chart2/line-chart.ts; the same correction as Adam's, Kingma & Ba 2015, section 3). The first output equals
    the first value; weight 0 returns the values. A non-finite value is passed through unchanged and
    leaves the average as it was (TensorBoard does the same). Raises ValueError for a weight outside [0, 1).
    """
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"EMA weight must be in [0, 1), got {weight}")
    last, seen, out = 0.0, 0, []
    for v in values:
        if not math.isfinite(v):
            out.append(v)
            continue
        seen += 1
        last = weight * last + (1.0 - weight) * v
        out.append(last / (1.0 - weight**seen))
    return out


class RunningEma:
    """The debiased EMA of :func:`ema`, one value at a time (a live per-step loss): ``add(v)`` returns the
    average so far, equal to ``ema(all values added, weight)[-1]``."""

    def __init__(self, weight: float) -> None:
        if not 0.0 <= weight < 1.0:
            raise ValueError(f"EMA weight must be in [0, 1), got {weight}")
        self.weight, self._last, self._seen = weight, 0.0, 0

    def add(self, value: float) -> float:
        """Take a finite ``value``; return the debiased average."""
        self._seen += 1
        self._last = self.weight * self._last + (1.0 - self.weight) * value
        return self._last / (1.0 - self.weight**self._seen)


def window_mean(values: Sequence[float], window: int) -> list[float]:
    """Mean of the last ``window`` finite values up to each point (fewer at the start); non-finite values pass through.

    Raises ValueError for a window under 1.
    """
    return _rolling(values, window, lambda kept: sum(kept) / len(kept))


def band(values: Sequence[float], window: int) -> tuple[list[float], list[float]]:
    """(lowest, highest) of the last ``window`` finite values up to each point: the spread a smoothed line hides."""
    return _rolling(values, window, min), _rolling(values, window, max)


def ema_window(weight: float) -> int:
    """The EMA's span in points, 1 / (1 - w) rounded, at least 1: the last that many points carry about
    1 - 1/e (63%) of its weight (its time constant). The min/max band of an EMA is taken over this window,
    since the EMA itself remembers every point."""
    return max(1, round(1.0 / (1.0 - weight)))


class RunningMean:
    """The mean of the last ``window`` values, one value at a time: ``add(v)`` equals ``window_mean(all, window)[-1]``."""

    def __init__(self, window: int) -> None:
        if window < 1:
            raise ValueError(f"window must be at least 1, got {window}")
        self._kept: deque[float] = deque(maxlen=window)

    def add(self, value: float) -> float:
        self._kept.append(value)
        return sum(self._kept) / len(self._kept)


def _rolling(values: Sequence[float], window: int, reduce: Callable[[Sequence[float]], float]) -> list[float]:
    if window < 1:
        raise ValueError(f"window must be at least 1, got {window}")
    kept: deque[float] = deque(maxlen=window)
    out = []
    for v in values:
        if math.isfinite(v):
            kept.append(v)
            out.append(reduce(kept))
        else:
            out.append(v)
    return out


@dataclass(frozen=True)
class Smoothing:
    """How a curve is smoothed: ``mode`` is a key of SMOOTHERS; ``weight`` is the EMA's, ``window`` the mean's (points)."""

    mode: str = "off"
    weight: float = 0.6
    window: int = 5

    @property
    def on(self) -> bool:
        return self.mode != "off"

    def apply(self, values: Sequence[float]) -> list[float]:
        """The smoothed values, one per input value."""
        return SMOOTHERS[self.mode][1](self, values)

    def band_window(self) -> int:
        """The window of the min/max band that goes with this smoothing."""
        return ema_window(self.weight) if self.mode == "ema" else self.window

    @property
    def label(self) -> str:
        return SMOOTHERS[self.mode][0](self)


def running(smoothing: Smoothing) -> Callable[[float], float]:
    """A function taking one finite value at a time and returning the smoothed value so far, equal to
    ``smoothing.apply(all values taken)[-1]``: for long live series smoothed point by point."""
    return RUNNING[smoothing.mode](smoothing)


RUNNING: dict[str, Callable[[Smoothing], Callable[[float], float]]] = {
    "off": lambda s: lambda v: v,
    "ema": lambda s: RunningEma(s.weight).add,
    "mean": lambda s: RunningMean(s.window).add,
}

SMOOTHERS: dict[str, tuple[Callable[[Smoothing], str], Callable[[Smoothing, Sequence[float]], list[float]]]] = {
    "off": (lambda s: "off", lambda s, values: list(values)),
    "ema": (lambda s: f"EMA {s.weight:g}", lambda s, values: ema(values, s.weight)),
    "mean": (lambda s: f"mean of {s.window}", lambda s, values: window_mean(values, s.window)),
}
