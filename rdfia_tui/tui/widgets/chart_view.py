"""What a person changed about how a chart is viewed (log axes, y range, hidden series, cursor), and the pure maths of it."""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

ZOOM = 1.5  # each zoom step shows 1/1.5 (in) or 1.5 times (out) the y span
MOST_TICKS = 7


@dataclass
class ChartView:
    """A chart's view options. ``y_range``: a fixed y range in axis units (log10 of the values on a log axis),
    set by zooming; None lets the chart choose (its own range, or the data's with ``fit_y``). ``cursor``:
    the x whose values the key shows, None for the last one."""

    log_x: bool = False
    log_y: bool = False
    fit_y: bool = False
    y_range: tuple[float, float] | None = None
    hidden: set[str] = field(default_factory=set)
    cursor: float | None = None

    def reset_y(self) -> None:
        self.fit_y = False
        self.y_range = None


def zoomed(low: float, high: float, factor: float, about: tuple[float, float] | None = None) -> tuple[float, float]:
    """[low, high] scaled by ``factor`` (< 1 zooms in, > 1 out) about ``about``, the lowest and highest of the
    values to keep in view (the curves' latest, or at the cursor), and never narrower than them (plus 10%);
    about the range's own centre when ``about`` is None."""
    lowest, highest = about if about is not None else ((low + high) / 2,) * 2
    half = max((high - low) * factor, (highest - lowest) * 1.1) / 2
    centre = (lowest + highest) / 2
    return centre - half, centre + half


def keep_positive(xs: list[float], ys: list[float], log_x: bool, log_y: bool) -> tuple[list[float], list[float], int]:
    """The points a log axis can show (x > 0 on a log x, y > 0 on a log y) and how many were left out."""
    kept = [(x, y) for x, y in zip(xs, ys, strict=True) if (x > 0 or not log_x) and (y > 0 or not log_y)]
    return [p[0] for p in kept], [p[1] for p in kept], len(xs) - len(kept)


def log_ticks(low: float, high: float) -> list[float]:
    """Tick values for a log axis covering [low, high] (both > 0): 1, 2, 5 × 10^k, or whole decades when those
    are too many; an empty list when fewer than three such ticks fall near the range (the caller then uses
    evenly spaced ones)."""
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    for multipliers in ((1, 2, 5), (1,)):
        candidates = [m * 10.0**k for k in range(first, last + 1) for m in multipliers]
        below = [c for c in candidates if c <= low * (1 + 1e-9)]
        above = [c for c in candidates if c >= high * (1 - 1e-9)]
        start = candidates.index(below[-1]) if below else 0
        stop = candidates.index(above[0]) if above else len(candidates) - 1
        ticks = candidates[start : stop + 1]
        if len(ticks) <= MOST_TICKS:
            return ticks if len(ticks) >= 3 else []
    step = math.ceil((last - first) / (MOST_TICKS - 1))
    return [10.0**k for k in range(first, last + step, step)]


def value_at(xs: list[float], ys: list[float], x: float, exact: bool) -> float | None:
    """The y at ``x`` (``exact``), or of the last point at or before ``x``; None when there is none. ``xs`` ascending."""
    i = bisect.bisect_right(xs, x + 1e-9) - 1
    if i < 0 or (exact and abs(xs[i] - x) > 1e-9):
        return None
    return ys[i]


def step_cursor(positions: list[float], cursor: float | None, steps: int) -> float | None:
    """The cursor ``steps`` positions on (negative: back) from ``cursor`` (None: the last position); None again
    once it passes the last position, so it follows new points."""
    if not positions:
        return None
    here = len(positions) - 1 if cursor is None else max(0, bisect.bisect_right(positions, cursor + 1e-9) - 1)
    there = here + steps
    if there >= len(positions) - 1:
        return None
    return positions[max(there, 0)]
