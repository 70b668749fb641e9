"""How the command line prints epochs and tables: rich colour on a terminal, plain text in logs."""

from __future__ import annotations

import math
import sys
from typing import TextIO

from rdfia_tui.engine.events import EpochMetrics


def _pct(v: float) -> str:
    return "   -  " if not math.isfinite(v) else f"{100 * v:5.1f}%"


def _loss(v: float) -> str:
    return "    -  " if not math.isfinite(v) else f"{v:7.4f}"


EPOCH_HEADER = "epoch   train loss   acc   |  val loss   acc   | test loss   acc   |     lr      time    img/s"


def epoch_line(m: EpochMetrics, epochs: int) -> str:
    width = len(str(epochs))
    return (
        f"{m.epoch:>{width}}/{epochs:<{width}}  {_loss(m.train_loss)}  {_pct(m.train_acc)} | {_loss(m.val_loss)}  {_pct(m.val_acc)} "
        f"| {_loss(m.test_loss)}  {_pct(m.test_acc)} | {m.lr:9.4g}  {m.seconds:6.2f}s  {m.images_per_s:8.0f}"
    )


class EpochPrinter:
    """One line per epoch, no progress bars; on a terminal the line is coloured with rich."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self.console = None
        if self.stream.isatty():
            from rich.console import Console

            self.console = Console(file=self.stream, highlight=False)

    def line(self, text: str, style: str | None = None) -> None:
        if self.console is not None:
            self.console.print(text, style=style, markup=False)
        else:
            print(text, file=self.stream, flush=True)

    def header(self) -> None:
        self.line(EPOCH_HEADER, style="bold")

    def epoch(self, m: EpochMetrics, epochs: int) -> None:
        self.line(epoch_line(m, epochs), style="dim" if m.epoch == 0 else None)


def format_table(headers: list[str], rows: list[list[str]], right: set[int] | None = None) -> str:
    """A plain aligned text table."""
    right = right or set()
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def fmt(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return "\n".join([fmt(headers), fmt(["-" * w for w in widths]), *(fmt(r) for r in rows)])
