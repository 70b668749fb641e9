"""The report's figures drawn with matplotlib (the optional ``report`` extra, imported only here and only when a report
is written), as SVG with real text (small, searchable) or as PNG (Agg). Figures are made without pyplot: no display,
no backend to choose, and nothing shared between threads but the style (the console writes reports in a worker thread).

No text leaves its figure: once laid out, a title wider than the room its axes give it is wrapped onto more lines, and
a legend wider than the figure gets fewer columns, then its labels wrapped (a long run name or a sweep point's values).

Colours are Okabe & Ito's palette, safe for colour-blind readers; each line also has its own marker and dash, so the
figures read in black and white too.
"""

from __future__ import annotations

import io
import math
import re
import textwrap
from collections.abc import Callable
from typing import Any

from rdfia_tui.engine.errors import RdfiaError
from rdfia_tui.engine.extras import install_line
from rdfia_tui.engine.report.document import LinePlot, MatrixPlot, Plot

INSTALL = f"rdfia-tui report needs matplotlib: {install_line('report')}"
# Okabe & Ito (2008) without its yellow, too pale on white; black last
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
DASHES = ("-", "--", "-.", ":")
LINE_SIZE = (6.4, 3.9)  # inches, before the legend's second row
LEGEND_CHARS = 105  # characters of labels (and their line samples) that fit in one legend row under a LINE_SIZE figure
LEGEND_ROW = 0.18  # inches each further legend row (or line of a wrapped label) adds to the figure's height
EDGE = 3.0  # points kept free between a title or legend and the figure's edge
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
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)  # a renderer to measure the laid-out texts with (savefig still writes SVG or PNG)
    return fig


def style_of(i: int) -> dict[str, Any]:
    """The i-th line's colour, marker and dash: the colours first, then the dashes change."""
    return {"color": PALETTE[i % len(PALETTE)], "marker": MARKERS[i % len(MARKERS)], "linestyle": DASHES[(i // len(PALETTE)) % len(DASHES)]}


def legend_shape(labels: list[str]) -> tuple[int, int]:
    """(columns, rows) of a legend under a line plot: as many columns as its longest label lets fit in a row."""
    if not labels:
        return 0, 0
    columns = max(1, min(len(labels), LEGEND_CHARS // (max(len(label) for label in labels) + 7)))
    return columns, math.ceil(len(labels) / columns)


# ---- keeping the texts inside their figure ------------------------------------------------------------------------
def laid_out(fig: Any) -> Any:
    """Lay ``fig`` out (constrained layout places every text) and return the renderer its texts are measured with."""
    fig.draw_without_rendering()
    return fig.canvas.get_renderer()


def _edge(fig: Any) -> float:
    return EDGE * fig.dpi / 72


def _wrapped(text: str, width: int) -> str:
    """``text`` on lines of at most ``width`` characters, broken at spaces and hyphens first."""
    return "\n".join(textwrap.wrap(text, max(1, width), break_on_hyphens=True, break_long_words=True)) or text


def _longest_line(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)


def fit_title(fig: Any, ax: Any) -> None:
    """Wrap the title of ``ax`` onto as many lines as it takes to fit between the figure's edges, centred on its axes."""
    title, text = ax.title, ax.title.get_text()
    width = _longest_line(text)
    while width > 1:
        renderer = laid_out(fig)
        box, edge = title.get_window_extent(renderer), _edge(fig)
        room = 2 * min(box.x0 + box.width / 2 - edge, fig.bbox.width - edge - (box.x0 + box.width / 2))
        if box.width <= room:
            return
        width = min(width - 1, int(width * max(room, 0) / box.width))
        title.set_text(_wrapped(text, width))


def _legend_lines(labels: list[str], columns: int) -> int:
    """Lines of text a legend of ``labels`` in ``columns`` columns takes: each row as tall as its tallest label."""
    rows = [labels[i : i + columns] for i in range(0, len(labels), columns)]
    return sum(max(label.count("\n") + 1 for label in row) for row in rows)


def fit_legend(fig: Any, handles: list[Any], labels: list[str]) -> Any:
    """A legend under the axes as wide as the figure allows: as many columns as fit, then the labels wrapped. The
    figure grows a little for each row (or wrapped line) past the first. Returns the legend."""
    columns, _ = legend_shape(labels)
    shown, width = list(labels), max((len(label) for label in labels), default=0)
    while True:
        fig.set_size_inches(LINE_SIZE[0], LINE_SIZE[1] + LEGEND_ROW * max(0, _legend_lines(shown, columns) - 1))
        legend = fig.legend(handles, shown, loc="outside lower center", ncols=columns)  # under the axes: it never hides a curve
        box = legend.get_window_extent(laid_out(fig))
        room = fig.bbox.width - 2 * _edge(fig)
        if box.width <= room or (columns == 1 and width <= 1):
            return legend
        legend.remove()
        if columns > 1:
            columns = max(1, min(columns - 1, int(columns * room / box.width)))
        else:
            width = min(width - 1, int(_longest_line("\n".join(shown)) * room / box.width))
            shown = [_wrapped(label, width) for label in labels]


def _draw_lines(plot: LinePlot) -> Any:
    from matplotlib.ticker import MaxNLocator

    fig = _figure(LINE_SIZE)
    ax = fig.subplots()
    points = max((len(s.xs) for s in plot.series), default=0)
    for i, series in enumerate(plot.series):
        ax.plot(series.xs, series.ys, label=series.label, linewidth=1.6, markersize=4 if points <= 40 else 0, **style_of(i))
    for x, label in plot.marks:
        ax.axvline(x, color="#777777", linewidth=1.0, linestyle=":", label=label)
    ax.set(title=plot.title, xlabel=plot.x_label, ylabel=plot.y_label)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    handles, labels = ax.get_legend_handles_labels()
    if labels:
        fit_legend(fig, handles, labels)
    else:
        ax.text(0.5, 0.5, "no epoch recorded", transform=ax.transAxes, ha="center", va="center", color="#777777")
    fit_title(fig, ax)
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
    fit_title(fig, ax)
    return fig


DRAWERS: dict[type, Callable[[Any], Any]] = {LinePlot: _draw_lines, MatrixPlot: _draw_matrix}


def draw(plot: Plot) -> Any:
    """``plot`` as a matplotlib Figure in the report's style, laid out, every text inside it. Raises MatplotlibMissing
    without matplotlib."""
    matplotlib = require_matplotlib()
    with matplotlib.rc_context(STYLE):
        return DRAWERS[type(plot)](plot)


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
