"""Fitting a one-line progress report to a width by priority, without a screen: the console's status line and the
headless progress bar both lay their fields out with it, so both give way in the same order.

The bar shrinks first (from BAR_WIDTH to MIN_BAR_WIDTH columns); then fields take a shorter form or go, lowest rank
first (RANKS): GPU memory, the device, the images/s, the early-stopping counter's best epoch, the learning rate,
the step count, the run's ETA, then the bar, and last the epoch's ETA and the counter's short form ("pat 2/5").
"""

from __future__ import annotations

from dataclasses import dataclass

SEPARATOR = 2  # spaces between two fields
BAR_WIDTH = 24
MIN_BAR_WIDTH = 6

# For each kind of field, the rank at which each of its forms but the shortest gives way to the next one, then the
# rank at which the field goes; a lower rank gives way first. The bar's one rank is when it goes.
RANKS: dict[str, tuple[int, ...]] = {
    "memory": (10,),
    "device": (20,),
    "rate": (30,),
    # "patience 2/5, best 71.2% at epoch 12" -> "patience 2/5, best 71.2%" -> "patience 2/5" -> "pat 2/5" -> gone
    "patience": (40, 60, 80, 100),
    "lr": (50,),
    "count": (55,),
    "run_eta": (65,),
    "bar": (70,),
    "eta": (90,),
}


@dataclass(frozen=True)
class LineField:
    """One field of a progress line: its ``kind`` (a RANKS key) and its forms, the longest first."""

    kind: str
    forms: tuple[str, ...]

    def ranks(self) -> tuple[int, ...]:
        """When each form but the last gives way, then when the field goes (RANKS, cut to this field's forms)."""
        ranks = RANKS[self.kind]
        return (*ranks[: len(self.forms) - 1], ranks[-1])


@dataclass(frozen=True)
class FittedLine:
    """What fits: the bar's width in columns (0: no bar) and the forms of the fields kept, in the fields' order."""

    bar_width: int
    fields: tuple[str, ...]


def fit_line(width: int, head: str, fields: list[LineField], *, bar: bool, bar_label: int = 0) -> FittedLine:
    """Lay out ``head`` (the state, always kept), a bar of MIN_BAR_WIDTH to BAR_WIDTH columns followed by
    ``bar_label`` columns (its percentage) when ``bar``, then ``fields``, each SEPARATOR columns apart, within
    ``width`` columns. Fields give way in RANKS order until the line fits with the smallest bar; the room left
    widens the bar. A ``head`` wider than ``width`` alone is the caller's to cut."""
    levels = [0] * len(fields)  # the form shown; len(forms) when the field is gone
    bar_on = bar
    steps = [(rank, i, level) for i, f in enumerate(fields) for level, rank in enumerate(f.ranks())]
    steps = sorted(steps + ([(RANKS["bar"][0], -1, 0)] if bar else []))

    def used() -> int:
        shown = sum(SEPARATOR + len(f.forms[lv]) for f, lv in zip(fields, levels, strict=True) if lv < len(f.forms))
        return len(head) + shown + (SEPARATOR + MIN_BAR_WIDTH + bar_label if bar_on else 0)

    for _, index, level in steps:
        if used() <= width:
            break
        if index < 0:
            bar_on = False
        else:
            levels[index] = level + 1
    bar_width = min(BAR_WIDTH, MIN_BAR_WIDTH + width - used()) if bar_on else 0  # bar_on: used() <= width
    kept = tuple(f.forms[lv] for f, lv in zip(fields, levels, strict=True) if lv < len(f.forms))
    return FittedLine(bar_width, kept)
