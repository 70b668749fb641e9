"""The sweep screen: the sweeps in the runs folder, one sweep's accuracy grid and every point's test curve."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from rdfia_tui.engine.errors import RecordError
from rdfia_tui.engine.runs.status import RunStatus
from rdfia_tui.engine.sweep.importance import chance_of, importance, importance_rows, importance_title
from rdfia_tui.engine.sweep.records import CHANCE_MARGIN, SWEEP_JSON, list_sweeps, read_sweep
from rdfia_tui.engine.sweep.view import accuracy_curves, accuracy_grid, completed_accuracies, finished_points
from rdfia_tui.tui.chart_controller import CHART_BINDINGS
from rdfia_tui.tui.chart_controls import ChartControls
from rdfia_tui.tui.screens.choices import RunsChoice, RunsChosen
from rdfia_tui.tui.screens.closing import ClosesOnce
from rdfia_tui.tui.widgets.charts import SeriesChart

# Named ANSI colours only: the grid must read the same on a 16-colour terminal (and the words say it all without colour).
# a cell with no value says its status
STATUS_CELLS = (RunStatus.DIVERGED, RunStatus.FAILED, RunStatus.STOPPED, RunStatus.RUNNING, RunStatus.PRUNED)
CELL_STYLES = {
    "best": "bold green",
    "value": "",
    "chance": "yellow",
    **{status.value: status.colour for status in STATUS_CELLS},
    "pending": "dim",
}
POLL_SECONDS = 2.0


def list_cells(folder: Path, doc: dict[str, Any]) -> list[str]:
    """A sweep's row in the list: name, points finished, status, best test accuracy, folder."""
    return [str(doc.get("name", "?")), f"{finished_points(doc)}/{len(doc['points'])}", str(doc.get("status", "?")), _best(doc), folder.name]


def _best(doc: dict[str, Any]) -> str:
    values = completed_accuracies(doc.get("points", []))
    return f"{100 * max(values):.2f}%" if values else "-"


class SweepScreen(ChartControls, ClosesOnce, Screen):
    """Pick a sweep; see final test accuracy over its grid (diverged points marked) and all its test curves overlaid."""

    BINDINGS = [
        Binding("f5", "reload", "Reload", id="sweep-reload"),
        Binding("o", "open_runs", "Runs of this sweep", id="sweep-open-runs"),
        Binding("a", "attach", "Follow the point training", id="sweep-attach", tooltip="Attach to the point in training"),
        Binding("escape,w", "back", "Back", id="sweep-back"),
        *CHART_BINDINGS,
    ]
    DEFAULT_CSS = """
    SweepScreen #sweep-list { height: auto; max-height: 6; }
    SweepScreen #sweep-body { height: 1fr; }
    SweepScreen #sweep-grid-panel { width: auto; max-width: 60%; height: 1fr; }
    SweepScreen #sweep-heatmap { width: auto; }
    SweepScreen #sweep-legend { color: $text-muted; padding: 0 1; }
    SweepScreen #sweep-importance { width: auto; height: auto; }
    SweepScreen #sweep-importance-title { height: auto; }
    SweepScreen #sweep-importance-notes { color: $text-muted; padding: 0 1; }
    SweepScreen #sweep-acc { width: 1fr; min-height: 8; }
    SweepScreen #sweep-body.-one-axis { layout: vertical; }
    SweepScreen #sweep-body.-one-axis #sweep-grid-panel { width: 1fr; max-width: 100%; height: auto; }
    SweepScreen .panel-title { background: $primary-darken-2; text-style: bold; padding: 0 1; height: 1; }
    """

    def __init__(self, runs_dir: Path, sweep_dir: Path | None = None) -> None:
        super().__init__(id="sweep")
        self.runs_dir = runs_dir
        self.sweep_dir = sweep_dir
        self.sweeps: list[tuple[Path, dict[str, Any]]] = []
        self.doc: dict[str, Any] | None = None
        self._shown_mtime: float | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                f"Sweeps in {self.runs_dir} — up/down picks one; 'rdfia-tui sweep' makes them", id="sweep-title", classes="panel-title"
            )
            yield DataTable(id="sweep-list", cursor_type="row", zebra_stripes=True)
            with Horizontal(id="sweep-body"):
                with Vertical(id="sweep-grid-panel"):
                    yield Static("final test accuracy (%)", id="sweep-grid-title", classes="panel-title")
                    yield DataTable(id="sweep-heatmap", cursor_type="none")
                    yield Static("", id="sweep-legend")
                    yield Static(importance_title(short=True), id="sweep-importance-title", classes="panel-title")
                    yield DataTable(id="sweep-importance", cursor_type="none")
                    yield Static("", id="sweep-importance-notes")
                yield SeriesChart("test accuracy (%)", id="sweep-acc")
        yield Footer()

    def chart_widgets(self) -> list[SeriesChart]:
        """The chart the chart keys act on (chart_controls.py)."""
        return [self.query_one("#sweep-acc", SeriesChart)]

    def on_mount(self) -> None:
        self.reload()
        self.set_interval(POLL_SECONDS, self._poll)

    # ---- the list of sweeps ---------------------------------------------------------------
    def reload(self) -> None:
        self.sweeps = list_sweeps(self.runs_dir)
        if self.sweep_dir is not None and not any(folder == self.sweep_dir for folder, _ in self.sweeps):
            try:
                self.sweeps.insert(0, (self.sweep_dir, read_sweep(self.sweep_dir)))
            except RecordError as exc:
                self.notify(str(exc), severity="error")
        table = self.query_one("#sweep-list", DataTable)
        table.clear(columns=True)
        table.add_columns("name", "points", "status", "best test", "sweep folder")
        for folder, doc in self.sweeps:
            table.add_row(*list_cells(folder, doc), key=str(folder))
        if not self.sweeps:
            self.show(None)
            self.notify(f"no sweeps in {self.runs_dir} yet; run 'rdfia-tui sweep cifar10-lr-batch'")
            return
        folders = [folder for folder, _ in self.sweeps]
        chosen = self.sweep_dir if self.sweep_dir in folders else folders[0]
        table.move_cursor(row=folders.index(chosen))
        self.show(chosen)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "sweep-list" and event.row_key.value is not None:
            folder = Path(event.row_key.value)
            if folder != self.sweep_dir:
                self.show(folder)

    # ---- one sweep --------------------------------------------------------------------------
    def show(self, sweep_dir: Path | None) -> None:
        """Draw ``sweep_dir``'s grid and curves (or nothing)."""
        self.sweep_dir = sweep_dir
        self.doc = None
        if sweep_dir is not None:
            try:
                self.doc = read_sweep(sweep_dir)
                self._shown_mtime = (sweep_dir / SWEEP_JSON).stat().st_mtime
            except (RecordError, OSError) as exc:
                self.notify(str(exc), severity="error")
        with self.app.batch_update():
            self._draw_grid()
            self._draw_importance()
            self._draw_curves()

    def _draw_grid(self) -> None:
        table = self.query_one("#sweep-heatmap", DataTable)
        table.clear(columns=True)
        body = self.query_one("#sweep-body")
        title = self.query_one("#sweep-grid-title", Static)
        legend = self.query_one("#sweep-legend", Static)
        if self.doc is None:
            title.update("final test accuracy (%)")
            legend.update("no sweep to show")
            return
        grid = accuracy_grid(self.doc)
        body.set_class(len(self.doc.get("labels", {})) < 2, "-one-axis")
        title.update(f"final test accuracy (%), {self.doc.get('name', '?')}")
        # the corner names both axes, short: "lr ╲ batch_size"
        down = ", ".join(name.rsplit(".", 1)[-1] for name in grid.row_title.split(" × ")) if grid.row_title else ""
        table.add_column(f"{down} ╲ {grid.col_title.rsplit('.', 1)[-1]}" if down else grid.col_title.rsplit(".", 1)[-1], key="rows")
        for i, label in enumerate(grid.col_labels):
            table.add_column(label, key=f"col-{i}")
        for label, row in zip(grid.row_labels, grid.cells, strict=True):
            table.add_row(
                Text(label, style="bold"), *(Text(cell.text, style=CELL_STYLES.get(cell.kind, ""), justify="right") for cell in row)
            )
        done = finished_points(self.doc)
        seeds = int(self.doc.get("seeds", 1))
        pruned = any(p.get("status") == RunStatus.PRUNED for p in self.doc["points"])
        early = any(p.get("status") == RunStatus.EARLY_STOPPED for p in self.doc["points"])
        legend.update(
            f"{done}/{len(self.doc['points'])} points finished ({self.doc.get('status', '?')}); "
            + (f"mean of {seeds} seeds; " if seeds > 1 else "")
            + f"best in bold; 'chance' = within {100 * CHANCE_MARGIN:g} points of 1/classes; "
            "'diverged' = the loss became non-finite"
            + ("; 'pruned' = stopped early by the ASHA scheduler" if pruned else "")
            + ("; 'early' = early stopping ended a point (its best epoch's weights)" if early else "")
        )

    def _draw_importance(self) -> None:
        """Under the grid: each swept key's share of the variance of final test accuracy (engine.sweep.importance),
        or the one line saying why it cannot tell, and how the points without a final accuracy were counted."""
        table = self.query_one("#sweep-importance", DataTable)
        notes = self.query_one("#sweep-importance-notes", Static)
        table.clear(columns=True)
        if self.doc is None or self.sweep_dir is None:
            notes.update("")
            return
        result = importance(self.doc, chance_of(self.sweep_dir, self.doc))
        table.display = result.verdict is None
        if result.verdict is None:
            headers, rows = importance_rows(result)
            table.add_columns(*headers)
            for row in rows:
                table.add_row(row[0], Text(row[1], justify="right"), row[2])
        notes.update("\n".join([*([result.verdict] if result.verdict else []), *result.notes]))

    def _draw_curves(self) -> None:
        chart = self.query_one("#sweep-acc", SeriesChart)
        chart.clear()
        chart.ylim = (0, 100)
        if self.doc is None or self.sweep_dir is None:
            return
        curves = accuracy_curves(self.sweep_dir, self.doc)
        for label, (xs, ys) in curves.items():
            chart.set_series(label, xs, ys)
        # zoom on what was reached (CIFAR-10 after a few epochs sits far below 100%), in steps of 10 points
        finite = [y for _, ys in curves.values() for y in ys if math.isfinite(y)]
        if finite:
            chart.ylim = (0, min(100, 10 * math.ceil(max(finite) / 10 + 0.5)))

    def _poll(self) -> None:
        """Follow a sweep that is still running in another terminal."""
        if self.sweep_dir is None:
            return
        try:
            mtime = (self.sweep_dir / SWEEP_JSON).stat().st_mtime
        except OSError:
            return
        if mtime != self._shown_mtime:
            self.show(self.sweep_dir)
            self._refresh_list_row(self.sweep_dir)

    def _refresh_list_row(self, folder: Path) -> None:
        """The list's row for ``folder`` says what its grid says (points finished, status, best)."""
        table = self.query_one("#sweep-list", DataTable)
        try:
            doc = read_sweep(folder)
        except RecordError:
            return
        if str(folder) in table.rows:
            for column, value in zip(table.ordered_columns, list_cells(folder, doc), strict=True):
                table.update_cell(str(folder), column.key, value)

    # ---- actions ------------------------------------------------------------------------------
    def action_reload(self) -> None:
        self.reload()

    def action_open_runs(self) -> None:
        if self.sweep_dir is not None:
            from rdfia_tui.tui.screens.runs import RunsScreen

            self.app.push_screen(RunsScreen(self.sweep_dir), self._runs_chosen)

    def action_attach(self) -> None:
        """Follow the point of this sweep that is training now (a sweep in another terminal, or one started headless)."""
        from rdfia_tui.engine.runs.listing import live_runs

        live = live_runs(self.sweep_dir) if self.sweep_dir is not None else []
        if not live:
            self.notify("no point of this sweep is training now", severity="warning")
            return
        self.app.post_message(RunsChosen(RunsChoice.attach(Path(live[0]["run_dir"]))))  # to the app: this screen closes
        self.dismiss()  # the point is followed on the main screen

    def _runs_chosen(self, choice: RunsChoice | None) -> None:
        """The app opens, resumes or attaches to the run chosen among its points; the sweep stays on screen, unless
        the run is to be followed (on the main screen). Each screen closes itself: the app pops none."""
        if choice is not None:
            self.app.post_message(RunsChosen(choice))
            if choice.action == "attach":
                self.dismiss()

    def action_back(self) -> None:
        self.dismiss()
