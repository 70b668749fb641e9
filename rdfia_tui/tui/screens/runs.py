"""The runs screen: recorded runs, overlaid curves, and the config keys that differ."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from rdfia_tui.engine import config as config_mod
from rdfia_tui.engine import presets
from rdfia_tui.engine.config_compare import config_values, differs
from rdfia_tui.engine.errors import ConfigError, RdfiaError
from rdfia_tui.engine.runs.fields import Kind, find_field, sort_runs
from rdfia_tui.engine.runs.listing import is_lr_find, list_runs, live_runs, lr_find_position
from rdfia_tui.engine.runs.liveness import LiveState, is_alive, read_live
from rdfia_tui.engine.runs.query import Query
from rdfia_tui.engine.runs.resume import can_resume
from rdfia_tui.engine.runs.status import RunStatus
from rdfia_tui.tui.screens.choices import RunsChoice
from rdfia_tui.tui.screens.closing import ClosesOnce
from rdfia_tui.tui.widgets.charts import SeriesChart
from rdfia_tui.tui.widgets.runs_filter import FilterBar


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.2f}%"


def unusable(summary: dict[str, Any]) -> bool:
    """A listed run whose records cannot be read (the listing's "unreadable", with the reason in "message")."""
    return summary.get("status") == RunStatus.UNREADABLE


def lr_changes_text(summary: dict[str, Any]) -> str:
    """The learning rates set by hand during a run ("0.05 at epoch 3, step 12"), or "none"."""
    changes = summary.get("lr_changes") or []
    return "; ".join(f"{c['lr']:g} at epoch {c['epoch']}, step {c['step']}" for c in changes) or "none"


def compared(summary: dict[str, Any]) -> dict[str, Any]:
    """What the runs screen compares: the config, and the learning rate changes made by hand."""
    optim = {**summary.get("config", {}).get("optim", {}), "lr set by hand": lr_changes_text(summary)}
    return {**summary.get("config", {}), "optim": optim}


LIVE_REFRESH_S = 2.0  # seconds between updates of the live runs' progress
COLUMNS = (" ", "run", "preset", "status", "resume", "epochs", "final test", "best test", "date")
# the columns `s` sorts by, in its order, with the field (engine.runs.fields) each shows
SORTABLE = {"run": "run", "preset": "preset", "status": "status", "epochs": "epochs", "final test": "test_acc",
            "best test": "best_test_acc", "date": "started"}  # fmt: skip


def first_direction(column: str) -> bool:
    """Whether ``s`` first sorts a column highest first: numbers, accuracies and dates are; text is A to Z."""
    return find_field(SORTABLE[column]).kind in (Kind.NUMBER, Kind.FRACTION, Kind.DATE)


def live_position(state: LiveState) -> str:
    """Where a live run is: "epoch 3/10 42%" (the epoch under way, and the whole run's progress)."""
    epoch = min(state.epochs_done + (1 if state.step else 0), state.epochs) or state.epochs_done
    paused = " paused" if state.paused else ""
    return f"{epoch}/{state.epochs} {100 * state.progress:.0f}%{paused}"


class RunsScreen(ClosesOnce, Screen[RunsChoice | None]):
    """Recorded runs side by side; closes with a RunsChoice (open in the form, resume) or None (back)."""

    AUTO_FOCUS = "#runs-table"
    BINDINGS = [
        Binding("space", "toggle", "Select/unselect", id="runs-toggle"),
        Binding("o", "open", "Open in form (enter)", id="runs-open"),
        Binding("u", "resume", "Resume", id="runs-resume", tooltip="Continue a stopped run from its last checkpoint"),
        Binding("a", "attach", "Attach", id="runs-attach", tooltip="Follow a live run (p, x, l steer it); show a finished one"),
        Binding("slash", "filter", "Filter", id="runs-filter", tooltip="Show only the runs that match, e.g. optim.name=adam test_acc>0.7"),
        Binding("s", "sort", "Sort", id="runs-sort", tooltip="Sort by the next column (live runs first, newest first, after the last)"),
        Binding("S", "reverse_sort", "Reverse", id="runs-sort-reverse", tooltip="Reverse the order of the sort column"),
        Binding("d", "all_keys", "All keys", id="runs-all-keys", tooltip="Compare every config key, or only those that differ"),
        Binding("e", "write_report", "Report", id="runs-report", tooltip="An HTML report of the selected runs, into the runs folder"),
        Binding("escape,r", "back", "Back", id="runs-back"),
    ]
    DEFAULT_CSS = """
    RunsScreen #runs-area { height: 1fr; }
    RunsScreen #runs-table { height: auto; max-height: 10; min-height: 3; }
    RunsScreen #runs-charts { height: 1fr; min-height: 9; }
    RunsScreen #runs-charts SeriesChart { width: 1fr; }
    RunsScreen #diff-table { height: auto; max-height: 10; }
    RunsScreen.-short #runs-table { max-height: 5; }
    RunsScreen.-short #diff-table { max-height: 6; }
    RunsScreen .panel-title { background: $primary-darken-2; text-style: bold; padding: 0 1; }
    """

    def __init__(self, runs_dir: Path) -> None:
        super().__init__(id="runs")
        self.runs_dir = runs_dir
        self.runs: list[dict[str, Any]] = []  # as shown: filtered and sorted
        self.listed: list[dict[str, Any]] = []  # every run, live first then newest first
        self.selected: list[str] = []
        self.filter = Query()
        self.sort: tuple[str, bool] | None = None  # (column, highest first)
        self.all_keys = False

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="runs-area"):  # on a short screen the config differences are a scroll away, never out of reach
            yield Static(self.title_text(), id="runs-title", classes="panel-title")
            yield FilterBar(id="runs-filter")
            yield DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)
            with Horizontal(id="runs-charts"):
                yield SeriesChart("test accuracy (%)", id="runs-acc")
                yield SeriesChart("test loss", id="runs-loss")
            yield Static("Config differences between the selected runs", id="diff-title", classes="panel-title")
            yield DataTable(id="diff-table", cursor_type="none")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()
        self.set_interval(LIVE_REFRESH_S, self.refresh_live)

    def refresh_live(self) -> None:
        """The live runs' epoch and progress, from their live.json; a run that ended since reloads the table."""
        table = self.query_one("#runs-table", DataTable)
        for s in self.runs:
            if not isinstance(s.get("live"), LiveState):
                continue
            state = read_live(Path(s["run_dir"]))
            if state is None or not is_alive(state) or state.pid != s["live"].pid:
                self.reload()  # it finished, was lost or was resumed: its row says so now
                return
            table.update_cell(self.name_of(s), table.ordered_columns[5].key, live_position(state))

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.height < 36, "-short")

    def title_text(self) -> str:
        """The title line: where the runs are, the order, the filter in force and how many runs it keeps."""
        order = "live first, newest first"
        if self.sort is not None:
            order = f"by {self.sort[0]}, {'highest' if self.sort[1] else 'lowest'} first"
        shown = f" · filter {self.filter.text} ({len(self.runs)} of {len(self.listed)})" if self.filter.clauses else ""
        return f"Runs in {self.runs_dir} · {order}{shown} · enter: attach or open · space: overlay · /: filter · s: sort"

    def reload(self) -> None:
        live = live_runs(self.runs_dir)  # sweep points included
        self.listed = live + [s for s in reversed(list_runs(self.runs_dir)) if s.get("status") != RunStatus.RUNNING]
        shown = [s for s in self.listed if self.filter.matches(s)]
        if self.sort is not None:
            shown = sort_runs(shown, SORTABLE[self.sort[0]], descending=self.sort[1])
        self.runs = shown
        self.query_one("#runs-title", Static).update(self.title_text())
        table = self.query_one("#runs-table", DataTable)
        table.clear(columns=True)
        arrow = {True: " ▼", False: " ▲"}
        table.add_columns(*(c + arrow[self.sort[1]] if self.sort and c == self.sort[0] else c for c in COLUMNS))
        for s in self.runs:
            name = self.name_of(s)
            epochs = "-" if unusable(s) else f"{s.get('epochs_completed', 0)}/{s.get('config', {}).get('train', {}).get('epochs', '?')}"
            if is_lr_find(s):  # an lr range test trains no epoch
                epochs = lr_find_position(s)
            elif isinstance(s.get("live"), LiveState):
                epochs = live_position(s["live"])
            date = str(s.get("started_at") or "")[:16].replace("T", " ")
            table.add_row(
                "✓" if name in self.selected else " ",
                name,
                str(s.get("preset", "?")),
                "● running" if s.get("status") == RunStatus.RUNNING else str(s.get("status", "?")),
                "u" if can_resume(s) else "",
                epochs,
                _pct(s.get("final_test_acc")),
                _pct(s.get("best_test_acc")),
                date,
                key=name,
            )
        if not self.listed:
            self.notify(f"no runs in {self.runs_dir} yet")
        self.refresh_comparison()

    def name_of(self, summary: dict[str, Any]) -> str:
        """A run's name in the table, unique: its folder, under its sweep's folder for a sweep's point."""
        folder = Path(summary.get("run_dir", "?"))
        try:
            return folder.relative_to(self.runs_dir).as_posix()
        except ValueError:
            return folder.name

    def _current(self) -> dict[str, Any] | None:
        table = self.query_one("#runs-table", DataTable)
        if not self.runs or table.cursor_row is None or table.cursor_row >= len(self.runs):
            return None
        return self.runs[table.cursor_row]

    def action_toggle(self) -> None:
        run = self._current()
        if run is None or self._refused(run, "compared"):
            return
        name = self.name_of(run)
        if name in self.selected:
            self.selected.remove(name)
        else:
            self.selected.append(name)
        table = self.query_one("#runs-table", DataTable)
        table.update_cell(name, table.ordered_columns[0].key, "✓" if name in self.selected else " ")
        self.refresh_comparison()

    def selected_runs(self) -> list[dict[str, Any]]:
        """The runs selected with space, in the order they were, filtered out of the table or not."""
        by_name = {self.name_of(s): s for s in self.listed if "run_dir" in s}
        return [by_name[n] for n in self.selected if n in by_name]

    def refresh_comparison(self) -> None:
        chosen = self.selected_runs()
        acc, loss = self.query_one("#runs-acc", SeriesChart), self.query_one("#runs-loss", SeriesChart)
        acc.clear()
        loss.clear()
        acc.ylim = (0, 100)
        for s in chosen:
            label = self.name_of(s)
            rows = s.get("epochs", [])
            xs = [r["epoch"] for r in rows]
            acc.set_series(label, xs, [100 * r["test_acc"] if r.get("test_acc") is not None else float("nan") for r in rows])
            loss.set_series(label, xs, [r["test_loss"] if r.get("test_loss") is not None else float("nan") for r in rows])
        self._draw_config(chosen)

    def _draw_config(self, chosen: list[dict[str, Any]]) -> None:
        """The selected runs' config: only the keys that differ, or (``d``) every key with those that differ in bold."""
        diff = self.query_one("#diff-table", DataTable)
        diff.clear(columns=True)
        title = "every config key of the selected runs (differing in bold; d: only those)" if self.all_keys else (
            "Config differences between the selected runs (d: every key)")  # fmt: skip
        self.query_one("#diff-title", Static).update(title)
        if len(chosen) < (1 if self.all_keys else 2):
            diff.add_column("select a run to see its config" if self.all_keys else "select two or more runs to see the keys that differ")
            return
        diff.add_column("key")
        for s in chosen:
            diff.add_column(self.name_of(s))
        values = config_values([compared(s) for s in chosen])
        shown = values if self.all_keys else {k: v for k, v in values.items() if differs(v)}
        for key, row in shown.items():
            texts = [v if key.endswith("by hand") else config_mod.toml_value(v) if v is not None else "-" for v in row]
            diff.add_row(Text(key, style="bold") if self.all_keys and differs(row) else key, *texts)
        if not shown:
            diff.add_row("(identical configs)", *("" for _ in chosen))

    def _refused(self, run: dict[str, Any], what: str) -> bool:
        """An unreadable run cannot be compared, opened or resumed: say why (the listing's reason) and refuse."""
        if unusable(run):
            why = run.get("message") or "its records cannot be read"
            self.notify(f"{Path(run['run_dir']).name} cannot be {what}: {why}", severity="warning")
        return unusable(run)

    def action_open(self) -> None:
        run = self._current()
        if run is None or self._refused(run, "opened"):
            return
        path = Path(run["run_dir"]) / "config.toml"
        try:
            cfg = presets.load(path)
        except ConfigError as exc:
            self.notify(f"{Path(run['run_dir']).name} cannot be opened: {exc}", severity="error")
            return
        self.dismiss(RunsChoice.open(Path(run["run_dir"]), cfg))

    def action_resume(self) -> None:
        run = self._current()
        if run is None or self._refused(run, "resumed"):
            return
        if getattr(self.app, "holds_a_run", False):  # the screen stays: the choice could not be acted on
            self.notify("a run is in progress: go back (Esc) and stop it (x) before resuming another", severity="warning")
            return
        if not can_resume(run):
            reason = f"it {run['status']}" if RunStatus.of(run.get("status")).succeeded else "it has no checkpoint (train.checkpoint=epoch)"
            self.notify(f"{Path(run['run_dir']).name} cannot be resumed: {reason}", severity="warning")
            return
        self.dismiss(RunsChoice.resume(Path(run["run_dir"])))

    def action_attach(self) -> None:
        run = self._current()
        if run is None or self._refused(run, "shown"):
            return
        self.dismiss(RunsChoice.attach(Path(run["run_dir"])))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        # enter on a live run attaches to it; on another run it opens its config, like "o"
        if event.data_table.id == "runs-table":
            event.stop()
            run = self._current()
            if run is not None and run.get("status") == RunStatus.RUNNING:
                self.action_attach()
            else:
                self.action_open()

    def action_filter(self) -> None:
        self.query_one(FilterBar).open()

    def on_filter_bar_applied(self, event: FilterBar.Applied) -> None:
        self.filter = event.query
        self.reload()
        self.query_one("#runs-table", DataTable).focus()

    def on_filter_bar_closed(self, event: FilterBar.Closed) -> None:
        self.query_one("#runs-table", DataTable).focus()

    def action_sort(self) -> None:
        """The next column of SORTABLE, in its natural order; after the last, the listing's own order again."""
        columns = list(SORTABLE)
        following = columns.index(self.sort[0]) + 1 if self.sort else 0
        self.sort = (columns[following], first_direction(columns[following])) if following < len(columns) else None
        self.reload()

    def action_reverse_sort(self) -> None:
        if self.sort is None:
            self.notify("nothing to reverse: press s to sort by a column first", severity="warning")
            return
        self.sort = (self.sort[0], not self.sort[1])
        self.reload()

    def action_all_keys(self) -> None:
        self.all_keys = not self.all_keys
        self._draw_config(self.selected_runs())

    class ReportWritten(Message):
        """A report was written (``line``: 'wrote FILE' or 'replaced FILE'), or could not be (``error``, one line)."""

        def __init__(self, line: str | None, error: str = "") -> None:
            super().__init__()
            self.line, self.error = line, error

    def action_write_report(self) -> None:
        """The report of the selected runs (or else the highlighted one), written in a thread into the runs folder."""
        current = self._current()
        chosen = self.selected_runs() or ([current] if current is not None else [])
        if not chosen:
            self.notify("no run to report: record one first", severity="warning")
            return
        if any(self._refused(run, "reported") for run in chosen):
            return
        self.notify(f"writing the report of {len(chosen)} run{'s' if len(chosen) > 1 else ''}…")
        self._write_report([Path(run["run_dir"]) for run in chosen])

    @work(thread=True, exclusive=True, exit_on_error=False, group="report")
    def _write_report(self, folders: list[Path]) -> None:
        from rdfia_tui.engine.report.write import write_report_file

        try:
            self.post_message(self.ReportWritten(write_report_file(folders, default_folder=self.runs_dir).line()))
        except RdfiaError as exc:  # matplotlib missing, a record unreadable, the disk full: one line
            self.post_message(self.ReportWritten(None, str(exc)))

    def on_runs_screen_report_written(self, message: ReportWritten) -> None:
        if message.line is None:
            self.notify(message.error, severity="error", timeout=10)
        else:
            self.notify(f"report: {message.line}", timeout=10)

    def action_back(self) -> None:
        self.dismiss(None)
