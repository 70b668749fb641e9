"""A small character plot for the command line (ASCII only: any terminal, any log, a screen reader reads the numbers
printed beside it instead): y against log10(x), with marked x positions."""

from __future__ import annotations

import math
from collections.abc import Sequence

LABEL = 10  # the y labels and the axis line left of the plot: "%8s |"
CLIP = 2.0  # the y axis stops at the lowest y plus this many times the first y's height above it

def log_plot(xs: Sequence[float], ys: Sequence[float], marks: dict[str, float] | None = None, width: int = 64,
             height: int = 14) -> list[str]:  # fmt: skip
    """Lines of a plot of ``ys`` against log10(``xs``) (xs > 0), at most LABEL + ``width`` characters wide: ``*`` for
    the points, a column of ``marks``' first letter at each marked x (drawn under the points), y labels on the left
    and decade labels under the axis. The y axis stops at y_top (clip_top: a blow-up at the end would flatten the
    useful curve into one row); points above it are drawn as ``^`` on the top row, and a last line says so.
    Non-finite ys are left out; [] when no point is finite."""
    points = [(math.log10(x), y) for x, y in zip(xs, ys, strict=True) if x > 0 and math.isfinite(y)]
    if not points:
        return []
    top = clip_top([y for _, y in points])
    x_lo, x_hi = min(p[0] for p in points), max(p[0] for p in points)
    for x in (marks or {}).values():
        if x > 0:
            x_lo, x_hi = min(x_lo, math.log10(x)), max(x_hi, math.log10(x))
    y_lo, y_hi = min(p[1] for p in points), min(top, max(p[1] for p in points))
    x_span, y_span = (x_hi - x_lo) or 1.0, (y_hi - y_lo) or 1.0
    grid = [[" "] * width for _ in range(height)]

    def column(lx: float) -> int:
        return min(width - 1, round((lx - x_lo) / x_span * (width - 1)))

    for name, x in (marks or {}).items():
        if x > 0:
            for row in grid:
                row[column(math.log10(x))] = name[0]
    for lx, y in points:
        grid[height - 1 - min(height - 1, round((min(y, y_hi) - y_lo) / y_span * (height - 1)))][column(lx)] = "^" if y > y_hi else "*"
    labels = {0: y_hi, height // 2: (y_lo + y_hi) / 2, height - 1: y_lo}
    lines = [f"{_number(labels[r]) if r in labels else '':>8} |{''.join(row)}" for r, row in enumerate(grid)]
    lines.append(" " * 9 + "+" + "-" * width)
    lines.append(" " * LABEL + _decades(x_lo, x_hi, width, column))
    above = [y for _, y in points if y > y_hi]
    if above:
        lines.append(f"^: {len(above)} point(s) above the top of the plot, up to {_number(max(above))}")
    return lines


def clip_top(ys: Sequence[float]) -> float:
    """Where the y axis stops for ``ys`` (in order, finite): the lowest plus CLIP times the first's height above it,
    so the part of the curve before a blow-up spreads over the plot (fastai's plot leaves out the last points for the
    same reason); when the first is the lowest, CLIP times the lowest's own size above it."""
    low, first = min(ys), ys[0]
    return low + CLIP * ((first - low) if first > low else abs(low) or 1.0)


def _number(value: float) -> str:
    return f"{value:.3g}"


def _decades(x_lo: float, x_hi: float, width: int, column) -> str:
    """Labels 1e-05, 1e-04… under their columns (one near the right edge ends there), within ``width``; those that
    would overlap the previous one left out."""
    axis = [" "] * width
    free_from = 0
    for power in range(math.ceil(x_lo), math.floor(x_hi) + 1):
        text = f"1e{power:+03d}"
        at = min(column(power), width - len(text))
        if at >= free_from and at >= 0:
            axis[at : at + len(text)] = text
            free_from = at + len(text) + 1
    return "".join(axis).rstrip()
