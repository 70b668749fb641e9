"""The chart keys: smoothing, log axes, y range, series shown, palette and cursor, for the charts of one screen.

``ChartController`` changes the charts (and saves what is kept across sessions); ``ChartKeys`` turns the
keys into controller calls, for a screen with charts (chart_controls.ChartControls) and for the chart
options dialog (screens/chart_options.py), so they act the same while it is open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from textual.binding import Binding

from rdfia_tui.engine.smoothing import EMA_WEIGHTS, SMOOTHERS, WINDOWS
from rdfia_tui.tui.chart_settings import ChartSettings, load_settings, save_settings, settings_path
from rdfia_tui.tui.widgets.chart_palettes import PALETTES, next_palette
from rdfia_tui.tui.widgets.chart_view import step_cursor, zoomed
from rdfia_tui.tui.widgets.charts import SeriesChart

ZOOMS = {"in": 1 / 1.5, "out": 1.5}


def _quiet(key: str, action: str, description: str, id: str, tooltip: str, key_display: str | None = None) -> Binding:
    return Binding(key, action, description, id=id, show=False, tooltip=tooltip, key_display=key_display)


# "g" alone shows in the footer; the rest are in the command palette (ctrl+p) and the dialog "g" opens.
# Letters that start a preset's name (c, d, m) are left free: typed on the preset list they filter.
CHART_BINDINGS = [
    Binding("g", "chart_options", "Charts", id="chart-options", tooltip="Chart options: smoothing, log axes, y range, palette, cursor"),
    _quiet("e", "chart_smoothing", "Smoothing", "chart-smoothing", "Chart smoothing: off, EMA (debiased), window mean"),
    _quiet("left_square_bracket", "chart_smooth(-1)", "Less smoothing", "chart-smooth-less", "Lower EMA weight / shorter window", "["),
    _quiet("right_square_bracket", "chart_smooth(1)", "More smoothing", "chart-smooth-more", "Higher EMA weight / longer window", "]"),
    _quiet("b", "chart_band", "Min/max band", "chart-band", "Show the min and max of the smoothing window"),
    _quiet("y", "chart_log('y')", "Log y", "chart-log-y", "Log scale on y (values <= 0 left out, and said)"),
    _quiet("h", "chart_log('x')", "Log x", "chart-log-x", "Log scale on x (values <= 0 left out, and said)"),
    _quiet("z", "chart_fit_y", "Fit y to data", "chart-fit-y", "Y range: the data's own, or the chart's (accuracy 0-100)"),
    _quiet("plus,equals_sign", "chart_zoom('in')", "Zoom y in", "chart-zoom-in", "Show a narrower y range (then fixed)", "+"),
    _quiet("minus", "chart_zoom('out')", "Zoom y out", "chart-zoom-out", "Show a wider y range (then fixed)", "-"),
    _quiet("0", "chart_reset_y", "Reset y range", "chart-reset-y", "Back to the chart's own y range"),
    _quiet("t", "chart_palette", "Palette", "chart-palette", "Colours: terminal, Okabe-Ito, Paul Tol bright (kept)"),
    _quiet("comma", "chart_cursor(-1)", "Cursor back", "chart-cursor-back", "Key values at the epoch before", ","),
    _quiet("full_stop", "chart_cursor(1)", "Cursor on", "chart-cursor-on", "Key values at the next epoch (past the last: follow)", "."),
]
SERIES_KEYS = ("train", "val", "test", "steps")  # 1-4 on the main screen
SERIES_BINDINGS = [
    _quiet(str(i), f"chart_series('{name}')", f"Show/hide {name}", f"chart-series-{name}", f"Show or hide the {name} curves")
    for i, name in enumerate(SERIES_KEYS, start=1)
]


def _cycle(values: tuple, current: object, steps: int) -> object:
    """The value ``steps`` on from ``current`` in ``values``, held at the ends (the nearest when absent)."""
    here = values.index(current) if current in values else min(range(len(values)), key=lambda i: abs(values[i] - current))
    return values[min(max(here + steps, 0), len(values) - 1)]


class ChartController:
    """The options of a group of charts: ``charts()`` lists them; ``note(text)`` tells the person something."""

    def __init__(self, charts: Callable[[], list[SeriesChart]], note: Callable[[str], None]) -> None:
        self.charts, self.note = charts, note
        self.settings = ChartSettings()
        self._seen: tuple[int, int] | None = None

    def load(self) -> None:
        """Read the kept settings (a note per value that could not be used) and draw with them."""
        self._seen = _stamp()
        self.settings, problems = load_settings()
        for problem in problems:
            self.note(problem)
        self._apply()

    def reload_if_changed(self) -> None:
        """Use the kept settings again if another screen (or console) saved new ones since."""
        if _stamp() != self._seen:
            self._seen = _stamp()
            settings, problems = load_settings()
            if not problems:  # another console's own settings; a hand-edited bad file was said at start
                self.settings = settings
                self._apply()

    def keep(self, settings: ChartSettings) -> None:
        """Use and save ``settings`` (a note if they cannot be saved: they hold for this session)."""
        self.settings = settings
        problem = save_settings(settings)
        self._seen = _stamp()
        if problem:
            self.note(problem)
        self._apply()

    def _apply(self) -> None:
        for chart in self.charts():
            chart.settings = self.settings
            chart.changed()

    def _views(self, change: Callable[[SeriesChart], None]) -> None:
        for chart in self.charts():
            change(chart)
            chart.changed()

    # ---- kept across sessions ----------------------------------------------------------------------
    def cycle_smoothing(self) -> None:
        modes = list(SMOOTHERS)
        mode = modes[(modes.index(self.settings.smoothing.mode) + 1) % len(modes)]
        self.keep(replace(self.settings, smoothing=replace(self.settings.smoothing, mode=mode)))

    def smooth(self, steps: int) -> None:
        """More (steps > 0) or less smoothing: the EMA weight or the window steps along EMA_WEIGHTS / WINDOWS; off turns EMA on."""
        s = self.settings.smoothing
        if s.mode == "mean":
            s = replace(s, window=int(_cycle(WINDOWS, s.window, steps)))
        else:
            s = replace(s, mode="ema", weight=float(_cycle(EMA_WEIGHTS, s.weight, steps if s.on else 0)))
        self.keep(replace(self.settings, smoothing=s))

    def toggle_band(self) -> None:
        self.keep(replace(self.settings, band=not self.settings.band))

    def next_palette(self) -> None:
        self.keep(replace(self.settings, palette=next_palette(self.settings.palette)))

    # ---- this session's view -----------------------------------------------------------------------
    def toggle_log(self, which: str) -> None:
        """Log scale on ``which`` axis ("x" or "y"); the y range goes back to the chart's (its units changed)."""
        on = not getattr(self.charts()[0].view, f"log_{which}") if self.charts() else True

        def change(chart: SeriesChart) -> None:
            setattr(chart.view, f"log_{which}", on)
            chart.view.y_range = None

        self._views(change)

    def toggle_fit_y(self) -> None:
        fit = not self.charts()[0].view.fit_y if self.charts() else True

        def change(chart: SeriesChart) -> None:
            chart.view.fit_y, chart.view.y_range = fit, None

        self._views(change)

    def zoom(self, direction: str) -> None:
        """Narrow ("in") or widen ("out") the y range drawn now about the curves' values at the cursor (their latest
        while it follows), which stay in view; the range then stays fixed until reset."""

        def change(chart: SeriesChart) -> None:
            chart.view.y_range = zoomed(*(chart.view.y_range or chart.shown_y), ZOOMS[direction], chart.latest_y)

        self._views(change)

    def reset_y(self) -> None:
        self._views(lambda chart: chart.view.reset_y())

    def toggle_series(self, group: str) -> None:
        """Hide or show the series named ``group`` and those named "group (…)" (steps and its average)."""
        charts = self.charts()
        hidden = any(group in c.view.hidden for c in charts)

        def change(chart: SeriesChart) -> None:
            names = {n for n in chart.series if n == group or n.startswith(group + " ")} | {group}
            chart.view.hidden = chart.view.hidden - names if hidden else chart.view.hidden | names

        self._views(change)

    def move_cursor(self, steps: int) -> None:
        """Every chart's cursor moves to the same epoch, ``steps`` positions on (negative: back)."""
        charts = self.charts()
        positions = sorted({x for c in charts for x in c.cursor_positions()})
        cursor = step_cursor(positions, charts[0].view.cursor if charts else None, steps)
        self._views(lambda chart: setattr(chart.view, "cursor", cursor))

    # ---- what the dialog shows -----------------------------------------------------------------------
    def rows(self) -> list[tuple[str, str, str]]:
        """(keys, option, value now) per option, for the dialog."""
        s, charts = self.settings, self.charts()
        view = charts[0].view if charts else None
        smoothing = s.smoothing.label + (" (debiased, as TensorBoard)" if s.smoothing.mode == "ema" else "")
        rows = [
            ("e", "smoothing", smoothing),
            ("[ ]", "less / more", f"EMA weight {s.smoothing.weight:g}, window {s.smoothing.window}"),
            ("b", "min/max band", ("on" if s.band else "off") + ("" if s.smoothing.on else " (drawn with smoothing)")),
            ("t", "palette", PALETTES[s.palette].label),
        ]
        if view is None:
            return rows
        y_range = "zoomed (fixed)" if view.y_range else "fit to data" if view.fit_y else "the chart's"
        where = charts[0].cursor_x()
        notes = "; ".join(c.note for c in charts if c.note)
        series = "  ".join(f"{n} {'off' if n in view.hidden else 'on'}" for n in SERIES_KEYS if _has(charts, n) or n in view.hidden)
        return [
            *rows,
            ("y  h", "log y / log x", f"{_on(view.log_y)} / {_on(view.log_x)}" + (f" ({notes})" if notes else "")),
            ("z", "fit y", y_range + " (z: the 2nd half of the epochs)"),
            ("+ - 0", "zoom y", "about the cursor's values; 0 resets"),
            (", .", "cursor", "latest" if view.cursor is None else f"epoch {where:g}"),
            ("1-4", "series", series or "train, val, test, steps (none drawn yet)"),
        ]


def _stamp() -> tuple[int, int] | None:
    """When and how big the settings file was last written (None: no file)."""
    try:
        info = settings_path().stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


def _on(flag: bool) -> str:
    return "on" if flag else "off"


def _has(charts: list[SeriesChart], group: str) -> bool:
    return any(n == group or n.startswith(group + " ") for c in charts for n in c.series)


class ChartKeys:
    """The chart keys' actions (but g), acting through ``chart_controller``."""

    chart_controller: ChartController | None = None

    def _chart_changed(self) -> None:
        """After a key: a screen showing the options redraws them."""

    def _control(self) -> ChartController:
        assert self.chart_controller is not None
        return self.chart_controller

    def action_chart_smoothing(self) -> None:
        self._control().cycle_smoothing()
        self._chart_changed()

    def action_chart_smooth(self, steps: int) -> None:
        self._control().smooth(steps)
        self._chart_changed()

    def action_chart_band(self) -> None:
        self._control().toggle_band()
        self._chart_changed()

    def action_chart_palette(self) -> None:
        self._control().next_palette()
        self._chart_changed()

    def action_chart_log(self, which: str) -> None:
        self._control().toggle_log(which)
        self._chart_changed()

    def action_chart_fit_y(self) -> None:
        self._control().toggle_fit_y()
        self._chart_changed()

    def action_chart_zoom(self, direction: str) -> None:
        self._control().zoom(direction)
        self._chart_changed()

    def action_chart_reset_y(self) -> None:
        self._control().reset_y()
        self._chart_changed()

    def action_chart_series(self, group: str) -> None:
        self._control().toggle_series(group)
        self._chart_changed()

    def action_chart_cursor(self, steps: int) -> None:
        self._control().move_cursor(steps)
        self._chart_changed()

