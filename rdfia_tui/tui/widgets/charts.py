"""Live line charts; each owns its plotext figure and redraws at most a few times a second.

The key (title, each series' colour, marker and value at the cursor epoch) is written on its own
line(s) above the plot, never over the data. Epoch axes have whole-number ticks from epoch 0; y labels
use the fewest digits that tell the ticks apart. How a chart is smoothed and coloured is its
``settings`` (kept across sessions, chart_settings.py); how it is viewed (log axes, y range, hidden
series, cursor) is its ``view`` (chart_view.py).
"""

from __future__ import annotations

import math

from rich.text import Text
from textual_plotext import PlotextPlot

from rdfia_tui.engine.smoothing import Smoothing, band
from rdfia_tui.tui.chart_settings import ChartSettings
from rdfia_tui.tui.widgets.chart_palettes import FAINT, PlotColour, series_style
from rdfia_tui.tui.widgets.chart_view import ChartView, keep_positive, log_ticks, value_at
from rdfia_tui.tui.widgets.step_series import StepView

REDRAW_SECONDS = 0.25
POINTS_PER_COLUMN = 2  # braille marks are two dots wide: more points than this cannot show
MARKER_COLUMNS = 6  # a dense series gets a marker about every this many columns
Y_TICKS = 5
MAX_STEP_POINTS = 4000  # a per-step series is drawn from at most about this many of its steps (all are kept)


def decimate(xs: list[float], ys: list[float], buckets: int) -> tuple[list[float], list[float]]:
    """At most ``buckets`` points: the mean x and y of each run of consecutive points.

    plotext is pure Python and draws every point it is given; a long run's per-batch loss has
    tens of thousands, and drawing them four times a second took the GIL from the training loop.
    """
    n = len(xs)
    if n <= buckets or buckets < 1:
        return xs, ys
    out_x, out_y = [], []
    for b in range(buckets):
        lo, hi = b * n // buckets, (b + 1) * n // buckets
        if hi > lo:
            out_x.append(sum(xs[lo:hi]) / (hi - lo))
            out_y.append(sum(ys[lo:hi]) / (hi - lo))
    return out_x, out_y


def epoch_ticks(last: float, most: int = 6) -> list[int]:
    """Whole epochs from 0 to at least ``last`` (and at least 1), at most ``most`` of them, evenly spaced."""
    top = max(1, math.ceil(last))
    step = max(1, math.ceil(top / (most - 1)))
    return list(range(0, top + step, step)) if top % step else list(range(0, top + 1, step))


def tick_labels(values: list[float]) -> list[str]:
    """The fewest decimals (0 to 6) that make every label different; scientific for tiny or huge values."""
    finite = [v for v in values if math.isfinite(v)]
    biggest = max((abs(v) for v in finite), default=0.0)
    if biggest and (biggest >= 1e5 or biggest < 1e-3):
        return [f"{v:.2g}" for v in values]
    for decimals in range(7):
        labels = [f"{v:.{decimals}f}" for v in values]
        if len(set(labels)) == len(labels):
            return labels
    return [f"{v:.3g}" for v in values]


def nice_step(span: float, count: int) -> float:
    """1, 2 or 5 times a power of ten, near span / (count - 1)."""
    raw = span / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def y_ticks(low: float, high: float, count: int = Y_TICKS) -> list[float]:
    """Round ticks (steps of 1, 2 or 5 × 10^k) covering [low, high], about ``count`` of them."""
    if not (math.isfinite(low) and math.isfinite(high)):
        low, high = 0.0, 1.0
    if high <= low:
        high = low + (abs(low) or 1.0)
    step = nice_step(high - low, count)
    first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    return [round(k * step, 12) for k in range(first, last + 1)]


Series = tuple[str, list[float], list[float]]


def marker_points(xs: list[float], ys: list[float], width: int) -> tuple[list[float], list[float]]:
    """Where a series' markers go: every point when they are few, else one about every MARKER_COLUMNS columns."""
    most = max(width // MARKER_COLUMNS, 2)
    if len(xs) <= most:
        return xs, ys
    picks = [round(i * (len(xs) - 1) / (most - 1)) for i in range(most)]
    return [xs[i] for i in picks], [ys[i] for i in picks]


def fit_points(layers: list[Series]) -> list[float]:
    """The y values ``z`` fits the range to: those of the second half of the x range drawn (axis units), so the
    untrained epoch 0 and the first fast epochs do not stretch the range over the last points of progress."""
    xs = [x for _, series_x, _ in layers for x in series_x]
    if not xs:
        return []
    middle = (min(xs) + max(xs)) / 2
    return [y for _, series_x, ys in layers for x, y in zip(series_x, ys, strict=True) if x >= middle - 1e-9]


def axis(values: list[float], log: bool) -> list[float]:
    """Values in axis units: log10 on a log axis (the values are > 0 there)."""
    return [math.log10(v) for v in values] if log else values


class SeriesChart(PlotextPlot):
    """Named (x, y) series against epochs, with the key above the plot."""

    DEFAULT_CSS = """
    SeriesChart {
        height: 1fr;
        min-height: 8;
    }
    """

    def __init__(self, title: str, ylabel: str = "", *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.title = title
        self.ylabel = ylabel
        self.series: dict[str, tuple[list[float], list[float]]] = {}
        self.ylim: tuple[float, float] | None = None
        self.caption = ""  # shown after the title
        self.legend = True  # off for a single series, whose name the title already says
        self.faint: set[str] = set()  # raw series drawn in grey behind the others, never smoothed themselves
        self.steps: dict[str, StepView] = {}  # per-step series kept whole elsewhere: drawn thinned, read in full
        self.per_step: set[str] = set()  # series with points between epochs: the cursor does not stop on them
        self.integer_x = True  # x is epochs: whole-number ticks
        self.x_last: float | None = None  # the last epoch to show (set alike on charts drawn side by side)
        self.settings = ChartSettings()
        self.view = ChartView()
        self.note = ""  # what the plot leaves out (non-positive values on a log axis), said in the key
        self.shown_y: tuple[float, float] = (0.0, 1.0)  # the y range drawn last, in axis units
        self.latest_y: tuple[float, float] | None = None  # lowest and highest value at the cursor (or last) drawn, axis units
        self.draws = 0
        self._shown: dict[str, tuple[list[float], list[float]]] = {}  # what the key reads values from
        self._dirty = True

    def on_mount(self) -> None:
        super().on_mount()
        self.set_interval(REDRAW_SECONDS, self._redraw_if_dirty)
        self._draw()

    def clear(self) -> None:
        self.series.clear()
        self.caption = ""
        self.view.cursor = None
        self._dirty = True

    def append(self, name: str, x: float, y: float) -> None:
        xs, ys = self.series.setdefault(name, ([], []))
        xs.append(x)
        ys.append(y)
        self._dirty = True

    def set_series(self, name: str, xs: list[float], ys: list[float]) -> None:
        self.series[name] = (list(xs), list(ys))
        self._dirty = True

    def points(self, name: str) -> list[tuple[float, float]]:
        """Every (x, y) of series ``name``: a per-step series' every step (however few are drawn), its values as the
        chart's smoothing makes them."""
        if name in self.steps:
            view = self.steps[name]
            return list(zip(view.source.xs, view.values(self.settings.smoothing), strict=True))
        xs, ys = self.series.get(name, ([], []))
        return list(zip(xs, ys, strict=True))

    def changed(self) -> None:
        """Redraw at once (an option changed: the person is waiting for it)."""
        self._draw()

    # ---- colours, the cursor and the key --------------------------------------------------------------
    def style(self, name: str) -> tuple[PlotColour, str, str]:
        """(plotext colour, rich style, marker) of a series: by its place among the bright series, or faint (no marker)."""
        if name in self.faint:
            return (*FAINT, "")
        bright = [n for n in self.series if n not in self.faint]
        return series_style(self.settings.palette, bright.index(name) if name in bright else 0)

    def colour(self, name: str) -> tuple[PlotColour, str]:
        """(plotext colour, rich style) of a series."""
        return self.style(name)[:2]

    def cursor_positions(self) -> list[float]:
        """The x values the cursor stops at: those of the shown per-epoch series (of all shown series if none)."""
        shown = {n: xy for n, xy in self._shown.items() if n not in self.view.hidden}
        epochs = [n for n in shown if n not in self.per_step and n not in self.faint] or list(shown)
        return sorted({x for n in epochs for x in shown[n][0]})

    def cursor_x(self) -> float | None:
        """The x the key's values are read at: the cursor, or the last position."""
        if self.view.cursor is not None:
            return self.view.cursor
        positions = self.cursor_positions()
        return positions[-1] if positions else None

    def value(self, name: str, x: float) -> float | None:
        """Series ``name``'s value at ``x``: exact for a per-epoch series, the last one at or before ``x`` for a per-step
        one (at epoch k: the last step of epoch k, read from every step, however few are drawn)."""
        if name in self.steps and name in self._shown:
            view = self.steps[name]
            return view.source.at(view.values(self.settings.smoothing), x)
        xs, ys = self._shown.get(name, ([], []))
        return value_at(xs, ys, x, exact=name not in self.per_step and name not in self.faint) if xs else None

    def key_head(self) -> Text:
        head = Text(self.title, style="bold")
        if self.caption:
            head.append("  " + self.caption)
        where = self.cursor_x()
        if self.view.cursor is not None and where is not None:
            head.append(f"  @ {'epoch ' if self.integer_x else 'x='}{where:g}", style="reverse")
        if self.settings.smoothing.on and any(n not in self.faint for n in self.series):
            head.append(f"  {self.settings.smoothing.label}", style="italic")
        return head

    def key_items(self) -> list[Text]:
        """Title, caption and notes, then per series its mark, name and value at the cursor: the pieces of the key."""
        items = [self.key_head(), *([Text(self.note, style="bold yellow")] if self.note else [])]
        if not (self.legend and len(self.series) > 1):
            return items
        where = self.cursor_x()
        for name in self.series:
            if name in self.view.hidden:
                items.append(Text(f"{name} off", style="dim strike"))
                continue
            _, rich, marker = self.style(name)
            found = self.value(name, where) if where is not None and name not in self.faint else None  # a faint one is noise
            items.append(Text.assemble((f"━{marker or '━'}", rich), f" {name}" + (f" {found:.4g}" if found is not None else "")))
        return items

    def key_lines(self, width: int) -> list[Text]:
        """The key packed into lines of ``width`` (a series' mark never leaves its name), at most a third of the height."""
        width = max(width, 10)
        lines: list[Text] = []
        for item in self.key_items():
            if lines and len(lines[-1]) + 3 + len(item) <= width:
                lines[-1].append("   ")
                lines[-1].append_text(item)
            else:
                lines.append(item.copy())
        for line in lines:
            line.truncate(width, overflow="ellipsis")
        most = max(2, self.size.height // 3)
        if len(lines) > most:
            lines = lines[:most]
            lines[-1].truncate(max(width, 10) - 1, overflow="ellipsis")
            lines[-1].append("…")
        return lines

    def render(self) -> Text:
        width, height = self.size.width, self.size.height
        key = self.key_lines(width)
        plot_height = max(height - len(key), 1)
        self._plot.plotsize(width, plot_height)
        self._plot._set_size(width, plot_height)
        self._plot.theme(self._get_plotext_theme_name(self.app.theme))
        return Text("\n").join([*key, Text.from_ansi(self._plot.build())])

    # ---- drawing ----------------------------------------------------------------------------------
    def _redraw_if_dirty(self) -> None:
        if self._dirty:
            self._draw()

    def _visible(self) -> list[Series]:
        """The series to draw, finite points only, smoothed where the settings say: also fills ``_shown``."""
        self._shown = {}
        out = []
        smoothing = self.settings.smoothing
        for name, (xs, ys) in self.series.items():
            if name in self.steps:
                view = self.steps[name]
                xs, ys = view.source.shown(view.values(smoothing), MAX_STEP_POINTS)
            finite = [(x, y) for x, y in zip(xs, ys, strict=True) if math.isfinite(y)]
            if finite:
                self._shown[name] = ([p[0] for p in finite], [p[1] for p in finite])
                if name not in self.view.hidden:
                    out.append((name, *self._shown[name]))
        return out

    def _smoothed(self, name: str) -> bool:
        """Whether ``name`` is drawn smoothed over its own faint raw copy."""
        return self.settings.smoothing.on and name not in self.faint and name not in self.steps

    def _layers(self, visible: list[Series]) -> tuple[list[Series], list[Series]]:
        """(faint layers, bright layers) in axis units: raw curves under smoothed ones, bands, the bright curves;
        non-positive values on a log axis are left out and counted in ``note``."""
        faint, bright, dropped = [], [], 0
        smoothing = self.settings.smoothing
        for name, xs, ys in visible:
            drawn = smoothing.apply(ys) if self._smoothed(name) else ys
            edges = self._band(name, xs, ys) if self.settings.band and smoothing.on and name not in self.faint else None
            log_x, log_y = self.view.log_x, self.view.log_y
            kept = [i for i, (x, y) in enumerate(zip(xs, ys, strict=True)) if (x > 0 or not log_x) and (y > 0 or not log_y)]
            dropped += len(xs) - len(kept)
            if not kept:
                continue
            xs, ys, drawn = ([v[i] for i in kept] for v in (xs, ys, drawn))
            if name in self.faint or self._smoothed(name):
                faint.append((name, xs, ys))
            if name in self.faint:
                continue
            for edge, values in zip(("low", "high"), edges or (), strict=False):
                bright.append((f"{name}\0{edge}", *keep_positive(xs, [values[i] for i in kept], False, self.view.log_y)[:2]))
            bright.append((name, xs, drawn))
        axis_x = self.view.log_x
        self.note = f"{dropped} point{'s' if dropped != 1 else ''} ≤ 0 not drawn" if dropped else ""
        to_axis = [(n, axis(xs, axis_x), axis(ys, self.view.log_y)) for n, xs, ys in faint]
        return to_axis, [(n, axis(xs, axis_x), axis(ys, self.view.log_y)) for n, xs, ys in bright]

    def _band(self, name: str, xs: list[float], ys: list[float]) -> tuple[list[float], list[float]]:
        """(lowest, highest) raw value over the smoothing's window (Smoothing.band_window) up to each drawn point,
        aligned with ``xs``; a per-step series' band is taken over its every step (that of the raw steps)."""
        window = self.settings.smoothing.band_window()
        if name in self.steps:
            source = self.steps[name].source
            picks = source.picks(MAX_STEP_POINTS)
            return tuple([edge[i] for i in picks] for edge in (source.derived(w, Smoothing(), window) for w in ("low", "high")))  # type: ignore[return-value]
        return band(ys, window)

    def _draw(self) -> None:
        self._dirty = False
        self.draws += 1
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        if self.ylabel:
            plt.ylabel(self.ylabel)
        if self.size.height >= 14:  # a short chart keeps the row for the data
            plt.xlabel("log epoch" if self.view.log_x and self.integer_x else "epoch")
        buckets = max(self.size.width, 40) * POINTS_PER_COLUMN
        faint, bright = self._layers(self._visible())
        for _, xs, ys in faint:
            plt.plot(*decimate(xs, ys, buckets), marker="braille", color=FAINT[0])
        for name, xs, ys in bright:
            colour, _, marker = self.style(name.split("\0")[0])
            if "\0" in name:  # a band edge: dots, unjoined (a joined edge drew steep diagonals where the window moved on)
                plt.scatter(*decimate(xs, ys, buckets), marker="·", color=colour)
                continue
            plt.plot(*decimate(xs, ys, buckets), marker="braille", color=colour)
            if marker:
                plt.scatter(*marker_points(xs, ys, self.size.width), marker=marker, color=colour)
        if self.view.cursor is not None and (self.view.cursor > 0 or not self.view.log_x):
            plt.vline(axis([self.view.cursor], self.view.log_x)[0], "gray")
        self._axes(faint, bright)
        self.refresh()

    def _axes(self, faint: list[Series], bright: list[Series]) -> None:
        self._x_axis(faint + bright)
        # the faint series (noisy per-step losses, raw curves under smoothed ones) may leave the range; the others set it
        layers = bright or faint
        self.latest_y = self._latest(layers)
        low, high = self._y_range(fit_points(layers) if self.view.fit_y else [y for _, _, series in layers for y in series])
        if self.view.log_y:
            ticks = log_ticks(10**low, 10**high) or [t for t in y_ticks(10**low, 10**high) if t > 0] or [10**low, 10**high]
            positions = axis(ticks, True)
            low, high = min(low, positions[0]), max(high, positions[-1])
        else:
            ticks = y_ticks(low, high) if self.view.y_range is None else [t for t in y_ticks(low, high) if low <= t <= high] or [low, high]
            positions = ticks
            low, high = min(low, ticks[0]), max(high, ticks[-1])
        self.shown_y = (low, high)
        self.plt.ylim(low, high)
        self.plt.yticks(positions, [f"{t:g}" for t in ticks] if self.view.log_y else tick_labels(ticks))

    def _latest(self, layers: list[Series]) -> tuple[float, float] | None:
        """The lowest and highest value of the curves (band edges left out) at the cursor, or their last, in axis units."""
        cursor = self.view.cursor
        if cursor is not None and cursor <= 0 and self.view.log_x:
            cursor = None
        where = None if cursor is None else axis([cursor], self.view.log_x)[0]
        found = [ys[-1] if where is None else value_at(xs, ys, where, exact=False) for n, xs, ys in layers if "\0" not in n and xs]
        found = [y for y in found if y is not None]
        return (min(found), max(found)) if found else None

    def _y_range(self, ys: list[float]) -> tuple[float, float]:
        """The y range in axis units: the zoomed one, the chart's own (``ylim``), or the data's."""
        if self.view.y_range is not None:
            return self.view.y_range
        fixed = self.ylim if not self.view.fit_y else None
        if fixed is not None and self.view.log_y:
            fixed = (math.log10(fixed[0]), math.log10(fixed[1])) if fixed[0] > 0 else None
        if fixed is not None:
            return fixed
        if not ys:
            return (0.0, 1.0)
        low, high = min(ys), max(ys)
        return (low, high) if high > low else (low - 0.5, high + 0.5) if not self.view.log_y else (low - 0.3, high + 0.3)

    def _x_axis(self, layers: list[Series]) -> None:
        plt = self.plt
        extent = [self.x_last] if self.x_last and self.x_last > 0 else []
        last = max([*(max(xs) for _, xs, _ in layers), *axis(extent, self.view.log_x)], default=1.0)
        if self.view.log_x:
            first = min((min(xs) for _, xs, _ in layers), default=0.0)
            high = max(last, first + 0.1)
            ticks = log_ticks(10**first, 10**high) or [t for t in y_ticks(10**first, 10**high) if t > 0] or [10**first, 10**high]
            positions = axis(ticks, True)
            plt.xlim(min(first, positions[0]), max(high, positions[-1]))
            plt.xticks(positions, [f"{t:g}" for t in ticks])
        elif self.integer_x:
            ticks = epoch_ticks(last)
            plt.xlim(0, ticks[-1])
            plt.xticks(ticks, [str(t) for t in ticks])
