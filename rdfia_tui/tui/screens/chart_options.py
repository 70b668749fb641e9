"""The chart options dialog ("g"): every chart option with its key and its value now; the keys act here too."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from rdfia_tui.tui.chart_controller import CHART_BINDINGS, SERIES_BINDINGS, ChartController, ChartKeys
from rdfia_tui.tui.screens.closing import ClosesOnce


class ChartOptions(ChartKeys, ClosesOnce, ModalScreen[None]):
    """Lists the options of the screen's charts; the chart keys change them while the charts stay in view above."""

    DEFAULT_CSS = """
    ChartOptions { align: center bottom; background: $background 20%; }
    ChartOptions > Vertical { width: 76; max-width: 100%; height: auto; border: round $primary; background: $surface; padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape,g", "close", "Close", id="chart-options-close"),
        *(b for b in CHART_BINDINGS if b.action != "chart_options"),
        *SERIES_BINDINGS,
    ]

    def __init__(self, controller: ChartController) -> None:
        super().__init__()
        self.chart_controller = controller

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(id="chart-options-table")

    def on_mount(self) -> None:
        self._chart_changed()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Every key listed acts here, before a run too (a series hidden now stays hidden when it is drawn)."""
        return True

    def _chart_changed(self) -> None:
        rows = [
            *self._control().rows(),
            ("esc g", "close", "e [ ] b t are kept for next time"),
            ("", "outside g", "the keys act once a run drew curves"),
        ]
        text = Text()
        for keys, option, value in rows:
            text.append(f"{keys:<10}", style="bold")
            text.append(f"{option:<15}")
            text.append(value + "\n", style="italic")
        text.rstrip()
        self.query_one("#chart-options-table", Static).update(text)

    def action_close(self) -> None:
        self.dismiss(None)
