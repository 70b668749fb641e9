"""The report's figures drawn with matplotlib (the optional ``report`` extra, imported only here and only when a report
is written), as SVG with real text (small, searchable) or as PNG (Agg). Figures are made without pyplot: no display,
no backend to choose, and nothing shared between threads but the style (the console writes reports in a worker thread).

Colours are Okabe & Ito's palette, safe for colour-blind readers; each line also has its own marker and dash, so the
figures read in black and white too.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable
from typing import Any

from rdfia_tui.engine.errors import RdfiaError
from rdfia_tui.engine.report.document import LinePlot, MatrixPlot, Plot

INSTALL = 'rdfia-tui report needs matplotlib: pip install "rdfia-tui[report]"'
# Okabe & Ito (2008) without its yellow, too pale on white; black last
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
DASHES = ("-", "--", "-.", ":")
LINE_SIZE = (6.4, 3.9)  # inches, before the legend's second row
LEGEND_CHARS = 105  # characters of labels (and their line samples) that fit in one legend row under a LINE_SIZE figure
LEGEND_ROW = 0.18  # inches each further legend row adds to the figure's height
PNG_DPI = 130
STYLE = {
    "svg.fonttype": "none",  # text as <text>, not every glyph as a path: a tenth of the size
    "svg.hashsalt": "rdfia-tui",  # the same ids each time: the same report twice is the same file
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],  # written into every <text>: a short list
    "text.parse_math": False,  # a "$" in a run's name or a class is text, not TeX
    "font.size": 9.5,
    "axes.titlesize": 10.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "legend.fontsize": 8.5,
    "legend.frameon": False,
}


class MatplotlibMissing(RdfiaError):
    """The report extra is not installed."""

    exit_code = 2

    def __init__(self) -> None:
        super().__init__(INSTALL)


def require_matplotlib() -> Any:
    """The matplotlib module. Raises MatplotlibMissing when it is not installed."""
    try:
        import matplotlib
    except ImportError:
        raise MatplotlibMissing() from None
    return matplotlib


def _figure(size: tuple[float, float]) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=size, layout="constrained")


def style_of(i: int) -> dict[str, Any]:
    """The i-th line's colour, marker and dash: the colours first, then the dashes change."""
    return {"color": PALETTE[i % len(PALETTE)], "marker": MARKERS[i % len(MARKERS)], "linestyle": DASHES[(i // len(PALETTE)) % len(DASHES)]}


def legend_shape(labels: list[str]) -> tuple[int, int]:
    """(columns, rows) of a legend under a line plot: as many columns as its longest label lets fit in a row."""
    if not labels:
        return 0, 0
    columns = max(1, min(len(labels), LEGEND_CHARS // (max(len(label) for label in labels) + 7)))
    return columns, math.ceil(len(labels) / columns)


def _draw_lines(plot: LinePlot) -> Any:
    from matplotlib.ticker import MaxNLocator

    columns, rows = legend_shape([s.label for s in plot.series] + [label for _, label in plot.marks])
    fig = _figure((LINE_SIZE[0], LINE_SIZE[1] + LEGEND_ROW * max(0, rows - 1)))
    ax = fig.subplots()
    points = max((len(s.xs) for s in plot.series), default=0)
    for i, series in enumerate(plot.series):
        ax.plot(series.xs, series.ys, label=series.label, linewidth=1.6, markersize=4 if points <= 40 else 0, **style_of(i))
    for x, label in plot.marks:
        ax.axvline(x, color="#777777", linewidth=1.0, linestyle=":", label=label)
    ax.set(title=plot.title, xlabel=plot.x_label, ylabel=plot.y_label)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if columns:
        fig.legend(loc="outside lower center", ncols=columns)  # under the axes: a legend never hides a curve
    else:
        ax.text(0.5, 0.5, "no epoch recorded", transform=ax.transAxes, ha="center", va="center", color="#777777")
    return fig


def _draw_matrix(plot: MatrixPlot) -> Any:
    k = len(plot.labels)
    side = min(7.5, max(3.4, 0.3 * k + 2.2))
    fig = _figure((side + 0.9, side))
    ax = fig.subplots()
    shares = [[v / max(1, sum(row)) for v in row] for row in plot.counts]
    mesh = ax.pcolormesh(shares, cmap="Blues", vmin=0, vmax=1, edgecolors="white", linewidth=0.5, rasterized=k > 40)
    ax.set(title=plot.title, xlabel="predicted class", ylabel="true class", xlim=(0, k), ylim=(k, 0))
    ticks = [i + 0.5 for i in range(k)]
    tilted = max((len(n) for n in plot.labels), default=0) > 3
    ax.set_xticks(ticks, plot.labels, rotation=45 if tilted else 0, ha="right" if tilted else "center", rotation_mode="anchor")
    ax.set_yticks(ticks, plot.labels)
    ax.grid(False)
    ax.tick_params(length=0)
    if k <= 20:
        for i, row in enumerate(plot.counts):
            for j, value in enumerate(row):
                ink = "white" if shares[i][j] > 0.55 else "#222222"  # readable on the dark cells too
                ax.text(j + 0.5, i + 0.5, str(value), ha="center", va="center", fontsize=8 if k > 10 else 9, color=ink)
    fig.colorbar(mesh, ax=ax, shrink=0.8, label="share of the true class's test examples", format=lambda v, _: f"{100 * v:.0f}%")
    return fig


DRAWERS: dict[type, Callable[[Any], Any]] = {LinePlot: _draw_lines, MatrixPlot: _draw_matrix}


def render(plot: Plot, fmt: str) -> bytes:
    """``plot`` drawn as ``fmt`` ("svg" or "png") bytes. Raises MatplotlibMissing without matplotlib."""
    matplotlib = require_matplotlib()
    out = io.BytesIO()
    with matplotlib.rc_context(STYLE):
        fig = DRAWERS[type(plot)](plot)
        fig.savefig(out, format=fmt, dpi=PNG_DPI, metadata={"Date": None} if fmt == "svg" else None)
    return out.getvalue()


_PROLOGUE = re.compile(r"^.*?(?=<svg\b)", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)
_NAMESPACES = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')


def inline_svg(svg: bytes, prefix: str) -> str:
    """An SVG file's text made fit to sit inside an HTML page: no XML prologue or DOCTYPE, no metadata, no
    namespace URLs (HTML knows them), and every id prefixed with ``prefix`` so two figures never share one."""
    text = _PROLOGUE.sub("", svg.decode("utf-8"), count=1)
    text = _NAMESPACES.sub("", _METADATA.sub("", text))
    text = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', text)
    text = text.replace('href="#', f'href="#{prefix}-').replace("url(#", f"url(#{prefix}-")
    return text.strip()
