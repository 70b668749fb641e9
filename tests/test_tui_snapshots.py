"""Snapshot tests of the console at 120×40 and 80×24: before a run, mid-run (a scripted run held after an
epoch), after a run, and the runs screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_fakes import ScriptedEngine, write_run

from rdfia_tui.tui.app import create_app
from rdfia_tui.tui.options import AppOptions
from rdfia_tui.tui.widgets import event_log

SIZE = (120, 40)
SMALL = (80, 24)


@pytest.fixture(autouse=True)
def _steady(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Relative paths and a fixed clock, so the screen is the same on every machine."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(event_log, "wall_clock", lambda: "12:00:00")


async def _until(pilot, condition, timeout: float = 10.0) -> None:
    waited = 0.0
    while not condition() and waited < timeout:
        await pilot.pause(0.02)
        waited += 0.02
    assert condition(), "the app did not reach the expected state"


def test_main_screen_before_a_run(snap_compare) -> None:
    app = create_app(AppOptions(runs_dir="runs"), engine=ScriptedEngine(steps=0))

    async def ready(pilot) -> None:
        await _until(pilot, lambda: app.main.form.config is not None and "total" in app.main.layer_view.message)
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


def test_main_screen_after_a_scripted_run(snap_compare) -> None:
    # no progress events: merged progress messages would make the batch curve vary
    app = create_app(AppOptions(runs_dir="runs", overrides=["train.epochs=8"]), engine=ScriptedEngine(steps=0))

    async def run(pilot) -> None:
        await _until(pilot, lambda: app.main.form.config is not None and "total" in app.main.layer_view.message)
        await pilot.press("s")
        await _until(pilot, lambda: app.last_status == "completed" and not app.running)
        await pilot.pause(0.4)  # one chart redraw period

    assert snap_compare(app, terminal_size=SIZE, run_before=run)


def test_runs_screen_with_two_runs_overlaid(snap_compare) -> None:
    write_run(Path("runs"), "20261120-100000-circles-mlp", 0.3, [0.5, 0.8, 0.9, 0.95, 0.97])
    write_run(Path("runs"), "20261120-110000-circles-mlp", 0.05, [0.5, 0.55, 0.6, 0.66, 0.7], status="stopped")
    app = create_app(AppOptions(runs_dir="runs"), engine=ScriptedEngine(steps=0))

    async def compare(pilot) -> None:
        await _until(pilot, lambda: app.main.form.config is not None)
        await pilot.press("r")
        await pilot.pause(0.1)
        await pilot.press("space", "down", "space")
        await pilot.pause(0.4)

    assert snap_compare(app, terminal_size=SIZE, run_before=compare)


def held_run(size: tuple[int, int]) -> tuple:
    engine = ScriptedEngine(steps=0, hold_after_epoch=4)
    app = create_app(AppOptions(runs_dir="runs", overrides=["train.epochs=8"]), engine=engine)

    async def mid_run(pilot) -> None:
        await _until(pilot, lambda: app.main.form.config is not None and "total" in app.main.layer_view.message)
        await pilot.press("s")
        await _until(pilot, lambda: engine.holding)
        await pilot.pause(0.4)  # one chart redraw period

    return app, mid_run


def test_small_screen_before_a_run(snap_compare) -> None:
    """80×24, idle: presets, form, layer table, charts, status, log and the footer with Quit."""
    app = create_app(AppOptions(runs_dir="runs"), engine=ScriptedEngine(steps=0))

    async def ready(pilot) -> None:
        await _until(pilot, lambda: app.main.form.config is not None and "total" in app.main.layer_view.message)
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=SMALL, run_before=ready)


def test_small_screen_during_a_run(snap_compare) -> None:
    """80×24, mid-run: the charts, the status line and the log take the screen; Quit stays in the footer."""
    app, mid_run = held_run(SMALL)
    assert snap_compare(app, terminal_size=SMALL, run_before=mid_run)


def test_main_screen_during_a_run(snap_compare) -> None:
    """120×40, mid-run: nothing hidden; the chart keys are above the plots, not over the curves."""
    app, mid_run = held_run(SIZE)
    assert snap_compare(app, terminal_size=SIZE, run_before=mid_run)
