"""Live line charts; each owns its plotext figure and redraws at most a few times a second."""

from __future__ import annotations

from textual_plotext import PlotextPlot

REDRAW_SECONDS = 0.25
POINTS_PER_COLUMN = 2  # braille marks are two dots wide: more points than this cannot show


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


class SeriesChart(PlotextPlot):
    """Named (x, y) series, drawn together with a legend."""

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

    def _redraw_if_dirty(self) -> None:
        if self._dirty:
            self._draw()

    def _draw(self) -> None:
        self._dirty = False
        self.draws += 1
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(f"{self.title}   {self.caption}" if self.caption else self.title)
        if self.ylabel:
            plt.ylabel(self.ylabel)
        plt.xlabel("epoch")
        buckets = max(self.size.width, 40) * POINTS_PER_COLUMN
        for name, (xs, ys) in self.series.items():
            finite = [(x, y) for x, y in zip(xs, ys, strict=True) if y == y and abs(y) != float("inf")]
            if finite:
                px, py = decimate([p[0] for p in finite], [p[1] for p in finite], buckets)
                plt.plot(px, py, label=name if self.legend else None, marker="braille")
        if self.ylim:
            low, high = self.ylim
            plt.ylim(low, high)
            plt.yticks([low + (high - low) * i / 4 for i in range(5)])
        self.refresh()
