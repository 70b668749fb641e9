"""The charts' colour palettes (the terminal's named colours, and two made for colour-blind readers) and series markers."""

from __future__ import annotations

from dataclasses import dataclass

PlotColour = str | tuple[int, int, int]  # a plotext colour name, or RGB 0-255
# One character per series, drawn on its points: told apart without colour (a monochrome terminal, a printout)
MARKERS = ("o", "x", "+", "*", "^", "#", "%", "@")
FAINT = ("gray", "bright_black")  # series drawn faint behind the others (a raw curve under its smoothed one)


@dataclass(frozen=True)
class Palette:
    """``colours``: (plotext colour, rich style) per series, in order; they cycle past the last."""

    label: str
    colours: tuple[tuple[PlotColour, str], ...]


def _rgb(*hexes: str) -> tuple[tuple[PlotColour, str], ...]:
    return tuple(((int(h[1:3], 16), int(h[3:5], 16), int(h[5:7], 16)), h) for h in hexes)


PALETTES: dict[str, Palette] = {
    # named ANSI colours: the same on a 16-colour terminal, whatever its theme
    "default": Palette("terminal colours", tuple((c, c) for c in ("blue", "red", "green", "magenta", "cyan", "yellow"))),
    # Okabe & Ito (2008), "Color Universal Design"; black left out (it vanishes on a dark background)
    "okabe-ito": Palette("Okabe-Ito", _rgb("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442")),
    # Paul Tol's "bright" qualitative scheme (personal.sron.nl/~pault/, Figure 1)
    "tol-bright": Palette("Paul Tol bright", _rgb("#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377", "#BBBBBB")),
}


def series_style(palette: str, index: int) -> tuple[PlotColour, str, str]:
    """(plotext colour, rich style, marker) of the ``index``-th series (0-based) under ``palette`` (unknown: default)."""
    colours = PALETTES.get(palette, PALETTES["default"]).colours
    plot, rich = colours[index % len(colours)]
    return plot, rich, MARKERS[index % len(MARKERS)]


def next_palette(name: str) -> str:
    """The palette after ``name`` in PALETTES' order (wrapping round)."""
    names = list(PALETTES)
    return names[(names.index(name) + 1) % len(names)] if name in names else names[0]
