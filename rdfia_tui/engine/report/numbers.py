"""How a report spells numbers: accuracies (0-1 fractions) as %, losses, durations in seconds, counts."""

from __future__ import annotations

import math


def pct(fraction: float | None) -> str:
    """An accuracy given as a 0-1 fraction, as a percentage with two decimals ("96.10%"); "-" when unknown."""
    if fraction is None or not math.isfinite(fraction):
        return "-"
    return f"{100 * fraction:.2f}%"


def loss(value: float | None) -> str:
    """A loss to four decimals; "-" when unknown (NaN: never measured, or the run diverged)."""
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.4f}"


def seconds(value: float | None) -> str:
    """A wall time in seconds as people read it: "0.08 s", "42.1 s", "3 min 05 s", "1 h 02 min"."""
    if value is None or not math.isfinite(value):
        return "-"
    if value < 60:
        return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"
    minutes, secs = divmod(round(value), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def count(value: int | None) -> str:
    """A whole number with thousands separators ("231,170"); "-" when unknown."""
    return "-" if value is None else f"{value:,}"


def at_epoch(fraction: float | None, epoch: int | None) -> str:
    """An accuracy and the epoch it was reached at: "61.20% (epoch 7)"."""
    return pct(fraction) if epoch is None or fraction is None else f"{pct(fraction)} (epoch {epoch})"
