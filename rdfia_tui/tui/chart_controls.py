"""A screen's chart keys: ChartControls, mixed into a screen before Screen, finds its charts, keeps the controller,
judges when the keys act, and opens the chart options dialog ("g")."""

from __future__ import annotations

from rdfia_tui.tui.chart_controller import ChartController, ChartKeys
from rdfia_tui.tui.screens.chart_options import ChartOptions
from rdfia_tui.tui.widgets.charts import SeriesChart


class ChartControls(ChartKeys):
    """Mixed into a screen before Screen: its chart keys act on ``chart_widgets()`` through ``chart_controller``."""

    _chart_list: list[SeriesChart] | None = None

    def chart_widgets(self) -> list[SeriesChart]:
        """The charts the keys act on (composed once: they are looked up once)."""
        raise NotImplementedError

    def _charts(self) -> list[SeriesChart]:
        # check_action runs for every binding whenever the footer refreshes: a DOM query each time cost seconds
        if self._chart_list is None:
            self._chart_list = self.chart_widgets()
        return self._chart_list

    def on_mount(self) -> None:
        if self.chart_controller is None:
            self.chart_controller = ChartController(self._charts, self.chart_note)
            self.chart_controller.load()

    def chart_note(self, text: str) -> None:
        """A note about the chart settings: a toast, and a line in the screen's event log when it has one (a toast at
        80×24 can be pushed off by the next before it is read)."""
        self.notify(text, severity="warning")  # type: ignore[attr-defined]
        log_line = getattr(self, "log_line", None)
        if log_line is not None:
            log_line(f"note: {text}")

    def on_screen_resume(self) -> None:
        """Back from another screen, whose keys may have changed the kept settings: use them."""
        if self.chart_controller is not None:
            self.chart_controller.reload_if_changed()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The chart keys (but g) act once a chart has curves: before, a letter typed on the preset list filters it."""
        if action.startswith("chart_") and action != "chart_options":
            controller = self.chart_controller
            return True if controller is not None and any(chart.series for chart in controller.charts()) else None
        return super().check_action(action, parameters)  # type: ignore[misc]

    def action_chart_options(self) -> None:
        self.app.push_screen(ChartOptions(self._control()))  # type: ignore[attr-defined]
