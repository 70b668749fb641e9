"""How the command line prints: aligned tables, and writes that never stop training.

Two things a terminal can do to a run are handled here. A terminal whose encoding lacks a
character ("—", "×", "…" under latin-1 or ASCII) gets an ASCII spelling or "?" instead of a
UnicodeEncodeError. A terminal that went away (a dropped SSH session: EIO; a closed pipe: EPIPE)
ends the printing, not the run: the records are still written.
"""

from __future__ import annotations

import codecs
import io
import os
import sys
from typing import TextIO

# What a character outside the terminal's encoding is printed as; anything else becomes "?".
ASCII_SPELLINGS = {
    "—": "-",
    "–": "-",
    "−": "-",
    "×": "x",
    "…": "...",
    "≥": ">=",
    "≤": "<=",
    "→": "->",
    "←": "<-",
    "÷": "/",
    "·": "*",
    "±": "+/-",
    "√": "sqrt",
    "²": "^2",
    "ε": "eps",
    "λ": "lambda",
    "µ": "u",
    "°": "deg",
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
    "✓": "v",
    "━": "-",
    "─": "-",
    "│": "|",
    "•": "*",
}
ERRORS = "rdfia-ascii"


def _ascii_fallback(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    text = error.object[error.start : error.end]
    return "".join(ASCII_SPELLINGS.get(ch, "?") for ch in text), error.end


codecs.register_error(ERRORS, _ascii_fallback)


def protect_streams() -> None:
    """Make stdout and stderr spell what their encoding lacks instead of raising UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors=ERRORS)


def silence(stream: TextIO) -> None:
    """After a failed write, point the stream's descriptor at /dev/null so the exit-time flush is quiet too."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError, io.UnsupportedOperation):
        pass


class Output:
    """Lines to a stream: coloured with rich on a terminal, plain in logs; a failing terminal only stops the printing."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self.broken = False
        self.console = None
        if self._isatty():
            from rich.console import Console

            self.console = Console(file=self.stream, highlight=False)

    def _isatty(self) -> bool:
        try:
            return self.stream.isatty()
        except (OSError, ValueError):
            return False

    def line(self, text: str, style: str | None = None) -> None:
        if self.broken:
            return
        try:
            if self.console is not None:
                self.console.print(text, style=style, markup=False, soft_wrap=True)  # no re-wrapping: tables stay aligned
            else:
                print(text, file=self.stream, flush=True)
        except (OSError, ValueError):
            self.broken = True  # the terminal is gone: keep training, keep recording
            silence(self.stream)


def format_table(headers: list[str], rows: list[list[str]], right: set[int] | None = None) -> str:
    """A plain aligned text table."""
    right = right or set()
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def fmt(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return "\n".join([fmt(headers), fmt(["-" * w for w in widths]), *(fmt(r) for r in rows)])


def has_terminal() -> bool:
    """Somewhere to draw the console: stdin and stdout are a terminal, or Textual drives another screen
    (textual-serve runs the console over pipes, with TEXTUAL_DRIVER naming its web driver)."""
    return (sys.stdin.isatty() and sys.stdout.isatty()) or bool(os.environ.get("TEXTUAL_DRIVER"))


def above_zero(text: str, what: str = "a number") -> float:
    """``text`` as a finite number above 0, for an argparse type; ArgumentTypeError naming ``what`` otherwise."""
    import argparse
    import math

    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be {what} above 0, got {text!r}")
    return value
