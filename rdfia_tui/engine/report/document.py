"""A report as plain data: sections of paragraphs, tables, preformatted text, problems and figures, which html.py and
markdown.py write out each in its own format. Figures are described here (their data and labels), drawn by figures.py."""

from __future__ import annotations

from dataclasses import dataclass


# ---- figures ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Series:
    """One line of a line plot: its label and its points (x, y); a NaN y is a gap."""

    label: str
    xs: tuple[float, ...]
    ys: tuple[float, ...]


@dataclass(frozen=True)
class LinePlot:
    """Lines over epochs: a title, axis labels with their units, and the series, each drawn in its own colour,
    marker and dash. ``marks`` are vertical lines (x, label), e.g. the best epoch; ``y_range`` bounds the y axis
    (e.g. 0-100 for an accuracy in %)."""

    title: str
    x_label: str
    y_label: str
    series: tuple[Series, ...]
    marks: tuple[tuple[float, str], ...] = ()
    y_range: tuple[float, float] | None = None


@dataclass(frozen=True)
class MatrixPlot:
    """A confusion matrix: ``counts[i][j]`` test examples of class i predicted as j; shaded by the row's fraction."""

    title: str
    labels: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]


Plot = LinePlot | MatrixPlot


# ---- the elements of a section ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Paragraph:
    """A paragraph of plain text (never markup): html.py and markdown.py escape it; ``lead`` is a bold label before it."""

    text: str
    lead: str = ""


@dataclass(frozen=True)
class Table:
    """A table of text cells; columns in ``numeric`` are right-aligned; ``row_headers`` makes the first column a header."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: frozenset[int] = frozenset()
    row_headers: bool = False
    caption: str = ""


@dataclass(frozen=True)
class Preformatted:
    """Monospace lines, kept as they are (a lesson's computed quantities)."""

    title: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Problems:
    """Mismatches to highlight: each line a problem found (a report's figure that is not the computed one)."""

    lines: tuple[str, ...]


@dataclass(frozen=True)
class Figure:
    """A figure: ``slug`` names its file beside a Markdown report and prefixes its SVG ids (unique in a report);
    ``alt`` describes it to a reader who cannot see it (the plot's title when empty)."""

    slug: str
    plot: Plot
    alt: str = ""

    @property
    def description(self) -> str:
        """The figure's text alternative: ``alt``, else its plot's title."""
        return self.alt or self.plot.title


@dataclass(frozen=True)
class SideBySide:
    """Elements laid side by side where there is room (HTML), one after the other otherwise (Markdown)."""

    items: tuple[Element, ...]


Element = Paragraph | Table | Preformatted | Problems | Figure | SideBySide


@dataclass(frozen=True)
class Section:
    """A titled part of the report; ``level`` 2 for a run or sweep, 3 inside it; ``anchor`` is unique in the report."""

    title: str
    anchor: str
    level: int
    items: tuple[Element, ...]


@dataclass(frozen=True)
class Document:
    """The whole report: a title, a line saying what made it and when, and the sections in order."""

    title: str
    byline: str
    sections: tuple[Section, ...]

    def figures(self) -> list[Figure]:
        """Every figure, in reading order."""
        found: list[Figure] = []
        for section in self.sections:
            found.extend(_figures(section.items))
        return found


def _figures(items: tuple[Element, ...]) -> list[Figure]:
    found: list[Figure] = []
    for item in items:
        if isinstance(item, Figure):
            found.append(item)
        elif isinstance(item, SideBySide):
            found.extend(_figures(item.items))
    return found
