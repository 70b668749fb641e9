"""The headless epoch table: both header lines and every row built from one list of columns, so
they line up, in 80 columns.

Every cell has a fixed width that no value exceeds (a loss too large for four decimals is printed
in exponent form), so a diverging loss never shifts the columns.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby

from rdfia_tui.engine.events import EpochMetrics

GROUP = " | "
GAP = "  "


def fit_number(value: float, decimals: int, width: int) -> str:
    """``value`` with ``decimals`` decimals, or in exponent form when that would not fit in ``width``."""
    if not math.isfinite(value):
        return "-"
    text = f"{value:.{decimals}f}"
    return text if len(text) <= width else f"{value:.{max(0, width - 7)}e}"


def loss_cell(value: float) -> str:
    return fit_number(value, 4, 7)


def acc_cell(value: float) -> str:
    return "-" if not math.isfinite(value) else f"{100 * value:.1f}%"


def seconds_cell(value: float) -> str:
    return f"{value:.2f}s" if value < 1000 else f"{value:.0f}s"


@dataclass(frozen=True)
class Column:
    title: str
    width: int
    cell: Callable[[EpochMetrics], str]
    group: str = ""  # the word above a group of columns; a "|" starts each group


OPTIONAL = ("img/s", "time")  # dropped, in this order, when the terminal is too narrow


def epoch_columns(epochs: int, width: int | None = None) -> tuple[Column, ...]:
    """The table for a run of ``epochs`` epochs; with a terminal ``width``, img/s then time go if it would not fit."""
    columns = _all_columns(epochs)
    for title in OPTIONAL:
        if width is None or len(header(columns)[1]) <= width:
            break
        columns = tuple(c for c in columns if c.title != title)
    return columns


def _all_columns(epochs: int) -> tuple[Column, ...]:
    digits = len(str(epochs))
    split_columns = []
    for split in ("train", "val", "test"):
        split_columns += [
            Column("loss", 7, lambda m, s=split: loss_cell(getattr(m, f"{s}_loss")), group=split),
            Column("acc", 6, lambda m, s=split: acc_cell(getattr(m, f"{s}_acc")), group=split),
        ]
    return (
        Column("epoch", max(5, 2 * digits + 1), lambda m: f"{m.epoch}/{epochs}"),
        *split_columns,
        Column("lr", 8, lambda m: f"{m.lr:.3g}", group=" "),
        Column("time", 7, lambda m: seconds_cell(m.seconds), group=" "),
        Column("img/s", 7, lambda m: fit_number(m.images_per_s, 0, 7), group=" "),
    )


def _join(cells: list[str], columns: tuple[Column, ...]) -> str:
    out = ""
    for i, (text, column) in enumerate(zip(cells, columns, strict=True)):
        if i:
            out += GROUP if column.group != columns[i - 1].group else GAP
        out += text.rjust(column.width)
    return out


def header(columns: tuple[Column, ...]) -> tuple[str, str]:
    """Two lines: the group names centred over their columns, then the column titles."""
    titles = _join([c.title for c in columns], columns)
    words = ""
    for i, (group, grouped) in enumerate(groupby(columns, key=lambda c: c.group)):
        members = list(grouped)
        span = sum(c.width for c in members) + len(GAP) * (len(members) - 1)
        words += (GROUP if i else "") + group.strip().center(span)
    return words.rstrip(), titles


def row(columns: tuple[Column, ...], metrics: EpochMetrics) -> str:
    return _join([c.cell(metrics) for c in columns], columns)
