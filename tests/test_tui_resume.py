"""Resuming a stopped run from the console's runs screen."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import DataTable
from tui_fakes import ScriptedEngine, wait_for

from rdfia_tui.engine.config import apply_overrides
from rdfia_tui.engine.control import RunControl
from rdfia_tui.engine.events import EpochEnded
from rdfia_tui.engine.presets import load_preset
from rdfia_tui.engine.training import fit
from rdfia_tui.tui.app import create_app
from rdfia_tui.tui.options import AppOptions
from rdfia_tui.tui.screens.runs import RunsScreen


def stopped_run(runs: Path, *extra: str) -> Path:
    """A real circles run with checkpoints, stopped after epoch 2 of 6."""
    cfg = apply_overrides(load_preset("circles-mlp"), ["train.checkpoint=epoch", "train.epochs=6", "model.hidden=6", *extra])
    control = RunControl()

    def emit(event) -> None:
        if isinstance(event, EpochEnded) and event.metrics.epoch == 2:
            control.stop.set()

    result = fit(cfg, emit, control, runs_dir=runs)
    assert result.status == "stopped"
    return result.run_dir


async def open_runs(pilot, app) -> tuple[RunsScreen, DataTable]:
    await wait_for(pilot, lambda: app.main.form.config is not None)
    await pilot.press("r")
    await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen))
    return app.screen, app.screen.query_one("#runs-table", DataTable)


async def test_u_resumes_the_run_under_the_cursor_with_its_config(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    run_dir = stopped_run(runs)
    engine = ScriptedEngine()
    app = create_app(AppOptions(runs_dir=runs), engine=engine)
    async with app.run_test(size=(120, 40)) as pilot:
        _, table = await open_runs(pilot, app)
        assert table.get_row_at(0)[3:5] == ["stopped", "u"]  # a resume column: the status keeps its width
        await pilot.press("u")
        await wait_for(pilot, lambda: engine.resumed != [])
        assert engine.resumed == [run_dir]
        assert engine.runs[0].model.hidden == (6,)  # the run's own config, not the form's
        assert app.main.form.config.model.hidden == (6,)


async def test_a_run_without_checkpoint_is_not_resumed(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    fit(apply_overrides(load_preset("circles-mlp"), ["train.epochs=1"]), runs_dir=runs)
    engine = ScriptedEngine()
    app = create_app(AppOptions(runs_dir=runs), engine=engine)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, table = await open_runs(pilot, app)
        assert table.get_row_at(0)[3] == "completed"
        await pilot.press("u")
        await pilot.pause(0.1)
        assert engine.resumed == [] and app.screen is screen
        assert any("cannot be resumed: it completed" in str(n.message) for n in app._notifications)


async def test_resume_with_the_real_engine_finishes_the_run_in_its_folder(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    run_dir = stopped_run(runs)
    app = create_app(AppOptions(runs_dir=runs))
    async with app.run_test(size=(120, 40)) as pilot:
        await open_runs(pilot, app)
        await pilot.press("u")
        await wait_for(pilot, lambda: app.last_status is not None and not app.running, timeout=60)
        assert app.last_status == "completed" and app.run_dir == run_dir
        # the chart holds the recorded history and the new epochs
        assert [x for x, _ in app.main.acc_chart.points("test")] == list(range(7))
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["resumed"][0]["after_epoch"] == 2
    assert [e["epoch"] for e in summary["epochs"]] == list(range(7))


async def test_u_during_a_run_keeps_the_runs_screen_and_says_why(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    stopped_run(runs)
    engine = ScriptedEngine(hold_after_epoch=1)
    app = create_app(AppOptions(runs_dir=runs), engine=engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.main.form.config is not None)
        await pilot.press("s")
        await wait_for(pilot, lambda: app.running)
        screen, _ = await open_runs(pilot, app)
        await pilot.press("u")
        said = "go back (Esc) and stop it (x) before resuming"
        await wait_for(pilot, lambda: any(said in str(n.message) for n in app._notifications))
        assert app.screen is screen and engine.resumed == [None] and app.running  # only the fresh run: nothing resumed
        app.session.stop()
