"""Live line charts; each owns its plotext figure and redraws at most a few times a second.

The key (title, latest values, and a coloured mark per series) is written on its own line(s) above
the plot, never over the data. Epoch axes have whole-number ticks from epoch 0; y labels use the
fewest digits that tell the ticks apart.
"""

from __future__ import annotations

import math

from rich.text import Text
from textual_plotext import PlotextPlot

REDRAW_SECONDS = 0.25
POINTS_PER_COLUMN = 2  # braille marks are two dots wide: more points than this cannot show
# plotext colour names and the rich style that looks the same on a 16-colour terminal
PALETTE = (("blue", "blue"), ("red", "red"), ("green", "green"), ("magenta", "magenta"), ("cyan", "cyan"), ("yellow", "yellow"))
FAINT = ("gray", "bright_black")  # series drawn faint behind the others (the raw per-batch loss)
Y_TICKS = 5


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
        self.caption = ""  # latest values, shown after the title
        self.legend = True  # off for a single series, whose name the title already says
        self.faint: set[str] = set()  # series drawn in grey behind the others
        self.integer_x = True  # x is epochs: whole-number ticks
        self.x_last: float | None = None  # the last epoch to show (set alike on charts drawn side by side)
        self.draws = 0
        self._dirty = True

    def on_mount(self) -> None:
        super().on_mount()
        self.set_interval(REDRAW_SECONDS, self._redraw_if_dirty)
        self._draw()

    def clear(self) -> None:
        self.series.clear()
        self.caption = ""
        self._dirty = True

    def append(self, name: str, x: float, y: float) -> None:
        xs, ys = self.series.setdefault(name, ([], []))
        xs.append(x)
        ys.append(y)
        self._dirty = True

    def thin(self, name: str, limit: int) -> None:
        """Keep every other point of a series that has grown past ``limit``."""
        xs, ys = self.series.get(name, ([], []))
        if len(xs) > limit:
            self.series[name] = (xs[::2], ys[::2])
            self._dirty = True

    def set_series(self, name: str, xs: list[float], ys: list[float]) -> None:
        self.series[name] = (list(xs), list(ys))
        self._dirty = True

    def points(self, name: str) -> list[tuple[float, float]]:
        xs, ys = self.series.get(name, ([], []))
        return list(zip(xs, ys, strict=True))

    def colour(self, name: str) -> tuple[str, str]:
        """(plotext colour, rich style) of a series: its place among the series, or faint."""
        if name in self.faint:
            return FAINT
        bright = [n for n in self.series if n not in self.faint]
        return PALETTE[bright.index(name) % len(PALETTE)] if name in bright else PALETTE[0]

    def key_items(self) -> list[Text]:
        """Title and caption, then one coloured mark and name per series: the pieces of the key."""
        head = Text(self.title, style="bold")
        if self.caption:
            head.append("  " + self.caption)
        items = [head]
        if self.legend and len(self.series) > 1:
            items += [Text.assemble(("━━", self.colour(name)[1]), " " + name) for name in self.series]
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

    def _redraw_if_dirty(self) -> None:
        if self._dirty:
            self._draw()

    def _visible(self) -> list[tuple[str, list[float], list[float]]]:
        out = []
        for name, (xs, ys) in self.series.items():
            finite = [(x, y) for x, y in zip(xs, ys, strict=True) if math.isfinite(y)]
            if finite:
                out.append((name, [p[0] for p in finite], [p[1] for p in finite]))
        return out

    def _draw(self) -> None:
        self._dirty = False
        self.draws += 1
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        if self.ylabel:
            plt.ylabel(self.ylabel)
        if self.size.height >= 14:  # a short chart keeps the row for the data
            plt.xlabel("epoch")
        buckets = max(self.size.width, 40) * POINTS_PER_COLUMN
        visible = self._visible()
        for name, xs, ys in sorted(visible, key=lambda s: s[0] not in self.faint):  # faint ones first, underneath
            px, py = decimate(xs, ys, buckets)
            plt.plot(px, py, marker="braille", color=self.colour(name)[0])
        self._axes(visible)
        self.refresh()

    def _axes(self, visible: list[tuple[str, list[float], list[float]]]) -> None:
        plt = self.plt
        if self.integer_x:
            last = max([*(max(xs) for _, xs, _ in visible), self.x_last or 0.0], default=1.0)
            ticks = epoch_ticks(last)
            plt.xlim(0, ticks[-1])
            plt.xticks(ticks, [str(t) for t in ticks])
        # the faint series (noisy per-step losses) may leave the range; the others set it
        bright = [s for s in visible if s[0] not in self.faint] or visible
        ys = [y for _, _, series in bright for y in series]
        low, high = self.ylim if self.ylim else (min(ys, default=0.0), max(ys, default=1.0))
        ticks = y_ticks(low, high)
        plt.ylim(ticks[0], ticks[-1])
        plt.yticks(ticks, tick_labels(ticks))
