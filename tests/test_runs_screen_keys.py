"""The runs screen's filter (/), sort (s, S) and every-key comparison (d), driven with Pilot on recorded runs."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import App
from textual.widgets import DataTable, Input, Static
from tui_fakes import wait_for, write_run

from rdfia_tui.tui.screens.runs import RunsScreen

A, B, C = "20261120-100000-circles-mlp", "20261120-110000-circles-mlp", "20261120-120000-circles-mlp"


class RunsHost(App):
    """Just the runs screen: these keys need nothing else of the console."""

    def __init__(self, runs_dir: Path) -> None:
        super().__init__()
        self.runs_dir = runs_dir

    def on_mount(self) -> None:
        self.push_screen(RunsScreen(self.runs_dir))


def three_runs(tmp_path: Path) -> Path:
    runs = tmp_path / "runs"
    write_run(runs, A, 0.3, [0.5, 0.8, 0.95])
    write_run(runs, B, 0.05, [0.5, 0.6, 0.7], status="stopped")
    write_run(runs, C, 1.0, [0.5, 0.9, 0.85])
    return runs


def shown(screen: RunsScreen) -> list[str]:
    table = screen.query_one("#runs-table", DataTable)
    return [str(table.get_row_at(i)[1]) for i in range(table.row_count)]


async def opened(pilot, app: RunsHost) -> RunsScreen:
    await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen) and len(shown(app.screen)) == 3)
    return app.screen


async def test_slash_filters_says_what_is_wrong_and_esc_keeps_the_filter(tmp_path: Path) -> None:
    app = RunsHost(three_runs(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot, app)
        await pilot.press("slash")
        field = screen.query_one("#runs-filter-input", Input)
        await wait_for(pilot, lambda: field.has_focus)
        await pilot.press(*"optim.lr")  # typed keys go to the field: its 'r' does not leave the screen
        field.value += ">0.1, test_acc>90%"
        await pilot.press("enter")
        await wait_for(pilot, lambda: shown(screen) == [A])
        assert "filter optim.lr>0.1, test_acc>90% (1 of 3)" in str(screen.query_one("#runs-title", Static).render())
        assert screen.query_one("#runs-table", DataTable).has_focus
        await pilot.press("slash")
        await wait_for(pilot, lambda: field.has_focus)
        field.value = "test_acc>90"
        await pilot.press("enter")
        error = screen.query_one("#runs-filter-error", Static)
        await wait_for(pilot, lambda: "write test_acc>0.9 or test_acc>90%" in str(error.render()))
        assert shown(screen) == [A]  # the filter in force stays
        await pilot.press("escape")  # leaves the field, not the screen
        await wait_for(pilot, lambda: screen.query_one("#runs-table", DataTable).has_focus)
        assert app.screen is screen and field.value == "optim.lr>0.1, test_acc>90%" and str(error.render()) == ""
        await pilot.press("slash")
        field.value = ""
        await pilot.press("enter")  # empty: every run again
        await wait_for(pilot, lambda: len(shown(screen)) == 3)


async def test_s_cycles_the_sort_column_and_shift_s_reverses_it(tmp_path: Path) -> None:
    app = RunsHost(three_runs(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot, app)
        assert shown(screen) == [C, B, A]  # newest first
        await pilot.press("s")  # run, A to Z
        await wait_for(pilot, lambda: shown(screen) == [A, B, C])
        labels = [str(c.label) for c in screen.query_one("#runs-table", DataTable).ordered_columns]
        assert labels[1] == "run ▲"
        await pilot.press("s", "s", "s", "s")  # preset, status, epochs, then final test: highest first
        await wait_for(pilot, lambda: screen.sort == ("final test", True))
        assert shown(screen) == [A, C, B]
        assert "by final test, highest first" in str(screen.query_one("#runs-title", Static).render())
        await pilot.press("S")
        await wait_for(pilot, lambda: shown(screen) == [B, C, A])
        await pilot.press("s", "s", "s")  # best test, date, then the listing's own order again
        await wait_for(pilot, lambda: screen.sort is None and shown(screen) == [C, B, A])


async def test_d_shows_every_config_key_with_those_that_differ_in_bold(tmp_path: Path) -> None:
    app = RunsHost(three_runs(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot, app)
        await pilot.press("space", "down", "space")
        diff = screen.query_one("#diff-table", DataTable)
        await wait_for(pilot, lambda: diff.row_count == 1 and diff.get_row_at(0)[0] == "optim.lr")
        await pilot.press("d")
        await wait_for(pilot, lambda: diff.row_count > 20)
        keys = {str(diff.get_row_at(i)[0]): diff.get_row_at(i)[0] for i in range(diff.row_count)}
        assert {"optim.lr", "optim.name", "train.epochs"} <= set(keys)
        assert isinstance(keys["optim.lr"], Text) and keys["optim.lr"].style == "bold"
        assert isinstance(keys["optim.name"], str)  # the same in both runs: not bold
        assert "every config key" in str(screen.query_one("#diff-title", Static).render())
        await pilot.press("d")
        await wait_for(pilot, lambda: diff.row_count == 1)
