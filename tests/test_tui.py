"""Pilot tests of the console, mostly against a scripted engine; a few with the real one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input
from tui_fakes import ScriptedEngine, make_app, ready, type_into, wait_for, write_run

from rdfia_tui.engine.config_compare import config_differences
from rdfia_tui.tui.app import RdfiaApp, create_app
from rdfia_tui.tui.options import AppOptions
from rdfia_tui.tui.screens.dialogs import ConfirmQuit, LearningRateDialog
from rdfia_tui.tui.screens.runs import RunsScreen
from rdfia_tui.tui.widgets.config_form import field_id


async def test_opens_on_circles_mlp_with_its_values_and_layer_table(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        cfg = app.main.form.config
        assert cfg.name == "circles-mlp" and cfg.model.hidden == (4,)
        assert app.main.query_one("#" + field_id("optim.lr"), Input).value == "0.3"
        grid = app.main.layer_view.query_one(DataTable)
        assert grid.row_count == 2  # fc1 and fc2 from the scripted table
        assert "total parameters: 22" in app.main.layer_view.message


async def test_preset_from_the_command_line_is_selected(tmp_path: Path) -> None:
    app = make_app(tmp_path, preset="digits-mlp", overrides=["optim.lr=0.05"])
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        assert app.main.form.config.data.dataset == "digits"
        assert app.main.form.config.optim.lr == 0.05


async def test_a_run_fills_the_charts_status_and_log(tmp_path: Path) -> None:
    engine = ScriptedEngine()
    app = make_app(tmp_path, engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("s")
        await wait_for(pilot, lambda: app.last_status == "completed" and not app.running)
        epochs = app.main.form.config.train.epochs
        test_loss = app.main.loss_chart.points("test")
        assert [x for x, _ in test_loss] == list(range(epochs + 1))  # epoch 0 included
        assert test_loss[0][1] == pytest.approx(1.2)
        assert [x for x, _ in app.main.acc_chart.points("val")] == list(range(epochs + 1))
        assert app.main.acc_chart.points("train")[-1][1] == pytest.approx(90.0)
        batch = app.main.loss_chart.points("steps (avg)")
        # queued progress messages merge, but hand their per-step losses on: no step is lost
        assert len(batch) == engine.progress_sent and batch[-1][0] == pytest.approx(epochs)
        assert len(app.main.loss_chart.points("steps")) == engine.progress_sent
        assert "finished" in app.main.status_line.epoch_text
        log = app.main.log_view.entries
        assert log[-1].startswith("finished") and str(tmp_path / "runs" / "fake-run") in log[-1]
        assert any(e.startswith("started circles-mlp") for e in log)


async def test_boundary_panel_follows_the_run_for_2d_data(tmp_path: Path) -> None:
    engine = ScriptedEngine()
    app = make_app(tmp_path, engine, overrides=["train.epochs=5"])
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        panel = app.main.boundary
        assert not panel.display  # nothing to draw before a 2-D run
        await pilot.press("s")
        await wait_for(pilot, lambda: app.last_status == "completed" and not app.running)
        assert panel.display and panel.updates == 6  # epochs 0..5
        assert panel.grid.epoch == 5
        # the scripted boundary sweeps from the right edge to cover the whole plane
        assert panel.cell_class(0.05, 0.5) == 1 and panel.cell_class(0.95, 0.5) == 1
        assert "epoch 5" in str(panel.render())


async def test_boundary_panel_stays_hidden_for_images(tmp_path: Path) -> None:
    app = make_app(tmp_path, ScriptedEngine(plane=False))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("s")
        await wait_for(pilot, lambda: app.last_status == "completed" and not app.running)
        assert not app.main.boundary.display and app.main.boundary.updates == 0


async def test_invalid_field_is_marked_and_blocks_start(tmp_path: Path) -> None:
    engine = ScriptedEngine()
    app = make_app(tmp_path, engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        row = await type_into(pilot, app, "optim.lr", "-1")
        assert row.has_class("-invalid")
        assert "optim.lr" in row.error and "greater than 0" in row.error
        assert app.main.form.config is None
        app.screen.set_focus(None)
        await pilot.press("s")
        await pilot.pause(0.1)
        assert engine.runs == [] and not app.running
        assert "cannot start" in app.main.log_view.entries[-1]
        row = await type_into(pilot, app, "optim.lr", "0.5")
        assert not row.has_class("-invalid") and app.main.form.config.optim.lr == 0.5


async def test_cross_key_error_is_shown_at_its_field(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        app.main.form.set_value("optim.nesterov", True)
        await pilot.pause(0.05)
        row = app.main.form.rows()["optim.nesterov"]
        assert row.has_class("-invalid") and "momentum" in row.error


async def test_pause_resume_and_stop(tmp_path: Path) -> None:
    engine = ScriptedEngine(steps=50, step_delay=0.01)
    app = make_app(tmp_path, engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("s")
        await wait_for(pilot, lambda: engine.progress_sent >= 3)
        await pilot.press("p")
        assert engine.controls[0].pause.is_set()
        await wait_for(pilot, lambda: "paused" in app.main.status_line.epoch_text)
        await pilot.pause(0.1)
        frozen = engine.progress_sent
        await pilot.pause(0.3)
        assert engine.progress_sent <= frozen + 1  # at most the step already under way
        assert "paused" in app.main.status_line.epoch_text
        await pilot.press("p")
        await wait_for(pilot, lambda: engine.progress_sent > frozen + 2)
        await pilot.press("x")
        await wait_for(pilot, lambda: not app.running)
        assert app.last_status == "stopped"
        assert "stopped" in app.main.log_view.entries[-1]


async def test_quit_mid_run_asks_then_stops_cleanly(tmp_path: Path) -> None:
    engine = ScriptedEngine(steps=200, step_delay=0.01)
    app = make_app(tmp_path, engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("s")
        await wait_for(pilot, lambda: engine.progress_sent >= 2)
        await pilot.press("q")
        await pilot.pause(0.05)
        assert isinstance(app.screen, ConfirmQuit)
        await pilot.press("n")
        await pilot.pause(0.05)
        assert not isinstance(app.screen, ConfirmQuit) and app.running and not engine.controls[0].stop.is_set()
        await pilot.press("q")
        await pilot.pause(0.05)
        await pilot.press("y")
        await wait_for(pilot, lambda: not app.is_running, timeout=5)
    assert engine.controls[0].stop.is_set()
    assert app.last_status == "stopped"


async def test_quit_without_a_run_exits_at_once(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running, timeout=3)


async def test_change_lr_dialog_applies_a_valid_value(tmp_path: Path) -> None:
    engine = ScriptedEngine(steps=200, step_delay=0.005)
    app = make_app(tmp_path, engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("s")
        await wait_for(pilot, lambda: engine.progress_sent >= 2)
        await pilot.press("l")
        await pilot.pause(0.05)
        dialog = app.screen
        assert isinstance(dialog, LearningRateDialog)
        dialog.query_one(Input).value = "abc"
        await pilot.press("enter")
        await pilot.pause(0.05)
        assert app.screen is dialog and "expected a number" in str(dialog.query_one(".dialog-error").render())
        dialog.query_one(Input).value = "0.05"
        await pilot.press("enter")
        await wait_for(pilot, lambda: engine.lr_requests == [0.05])
        assert any("0.05" in e for e in app.main.log_view.entries)
        await pilot.press("x")
        await wait_for(pilot, lambda: not app.running)


async def test_refused_run_is_reported_not_raised(tmp_path: Path) -> None:
    app = create_app(
        AppOptions(runs_dir=tmp_path / "runs", preset="mnist-mlp", data_root=str(tmp_path / "empty"), overrides=["data.download=false"])
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.main.form.config is not None)
        await pilot.press("s")
        await wait_for(pilot, lambda: not app.running and app.main.log_view.entries, timeout=60)
        assert "mnist not found" in app.main.log_view.entries[-1]
        assert app.is_running


async def test_command_palette_lists_the_controls(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for word in ("Start", "Pause", "Stop", "LR", "Screenshot", "Runs", "Quit"):
            assert any(t.startswith(word) for t in titles), word
        ids = {b.id for b in RdfiaApp.BINDINGS}
        assert {"start", "pause", "stop", "change-lr", "screenshot", "runs", "quit"} <= ids


async def test_screenshot_goes_into_the_run_folder(tmp_path: Path) -> None:
    engine = ScriptedEngine()
    app = make_app(tmp_path, engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("s")
        await wait_for(pilot, lambda: not app.running and app.last_status)
        await pilot.press("ctrl+s")
        await pilot.pause(0.1)
    shots = list((tmp_path / "runs" / "fake-run").glob("screenshot-*.svg"))
    assert len(shots) == 1 and shots[0].read_text().lstrip().startswith("<svg")


async def test_preset_filter_and_choice_load_the_form(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        picker = app.main.query_one("#presets")
        picker.query_one(Input).value = "digits"
        await pilot.pause(0.05)
        assert picker.visible_names() == ["digits-mlp"]
        picker.query_one(Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.main.form.config and app.main.form.config.data.dataset == "digits")




async def test_runs_screen_overlays_and_diffs_and_opens(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    write_run(runs, "20261120-100000-circles-mlp", 0.3, [0.5, 0.8, 0.95])
    write_run(runs, "20261120-110000-circles-mlp", 0.05, [0.5, 0.6, 0.7], status="stopped")
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("r")
        await pilot.pause(0.05)
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        table = screen.query_one("#runs-table", DataTable)
        assert table.row_count == 2
        assert table.get_row_at(0)[3] == "stopped"  # newest first
        await pilot.press("space")
        await pilot.press("down")
        await pilot.press("space")
        await pilot.pause(0.05)
        acc = screen.query_one("#runs-acc")
        assert set(acc.series) == {"20261120-100000-circles-mlp", "20261120-110000-circles-mlp"}
        assert acc.points("20261120-100000-circles-mlp")[-1] == (2, 95.0)
        diff = screen.query_one("#diff-table", DataTable)
        assert diff.row_count == 1 and diff.get_row_at(0)[0] == "optim.lr"
        await pilot.press("enter")  # opens the older run (cursor on row 2)
        await pilot.pause(0.05)
        assert app.screen is app.main
        await wait_for(pilot, lambda: app.main.form.config is not None and app.main.form.config.optim.lr == 0.3)


def layer_params(app: RdfiaApp) -> str:
    return app.main.layer_view.message


async def test_every_way_of_loading_a_config_redraws_the_layer_table(tmp_path: Path) -> None:
    """A preset chosen by filter + Enter, by arrow + Enter, and a run opened from the runs screen each
    bring the layer table of the config now on the form (the scripted table counts the hidden sizes)."""
    runs = tmp_path / "runs"
    write_run(runs, "20261120-100000-circles-mlp", 0.3, [0.5, 0.8])
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        assert "total parameters: 22" in layer_params(app)  # circles-mlp: 2-4-2
        for ch in "moons":
            await pilot.press(ch)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.main.form.config.name == "moons-mlp")
        await wait_for(pilot, lambda: "total parameters: 42" in layer_params(app))  # 2-8-2
        app.main.query_one("#presets").query_one(Input).value = ""
        await wait_for(pilot, lambda: "digits-mlp" in app.main.query_one("#presets").visible_names())
        app.main.query_one("#presets").show_selected("digits-mlp")
        app.main.query_one("#preset-list").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.main.form.config.name == "digits-mlp")
        hidden = app.main.form.config.model.hidden[0]
        await wait_for(pilot, lambda: f"total parameters: {2 * hidden + hidden + hidden * 2 + 2:,}" in layer_params(app))
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is app.main and app.main.form.config.optim.lr == 0.3)
        await wait_for(pilot, lambda: "total parameters: 22" in layer_params(app))


async def test_a_preset_file_shows_its_own_description(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text('base = "circles-mlp"\ndescription = "my own words"\n[train]\nepochs = 2\n')
    app = make_app(tmp_path, preset=str(tmp_path / "mine.toml"))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        box = app.main.query_one("#preset-description")
        await wait_for(pilot, lambda: "my own words" in str(box.render()))


async def test_unreadable_runs_say_why_and_are_not_compared_or_opened(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    good = write_run(runs, "20261120-100000-circles-mlp", 0.3, [0.5, 0.8])
    bad = write_run(runs, "20261120-110000-circles-mlp", 0.1, [0.5, 0.6])
    (bad / "summary.json").write_text(json.dumps({**json.loads((bad / "summary.json").read_text()), "final_test_acc": "x"}))
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen))
        screen = app.screen
        table = screen.query_one("#runs-table", DataTable)
        assert table.get_row_at(0)[3:6] == ["unreadable", "", "-"]  # newest first
        for key in ("space", "enter", "u"):
            await pilot.press(key)
        await wait_for(pilot, lambda: sum('final_test_acc is "x"' in str(n.message) for n in app._notifications) == 3)
        assert app.screen is screen and screen.selected == [] and good.name not in screen.selected


def test_config_differences_keeps_only_differing_keys() -> None:
    a = {"optim": {"lr": 0.1, "name": "sgd"}, "train": {"epochs": 3}}
    b = {"optim": {"lr": 0.5, "name": "sgd"}, "train": {"epochs": 3}}
    c = {"optim": {"lr": 0.1, "name": "adam"}, "train": {"epochs": 3}}
    assert config_differences([a, b]) == {"optim.lr": [0.1, 0.5]}
    assert config_differences([a, b, c]) == {"optim.lr": [0.1, 0.5, 0.1], "optim.name": ["sgd", "sgd", "adam"]}


# ---- the real engine --------------------------------------------------------------------


async def test_real_run_on_circles_leaves_a_complete_record(tmp_path: Path) -> None:
    app = create_app(AppOptions(runs_dir=tmp_path / "runs", overrides=["train.epochs=12"]))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: "total parameters: 22" in app.main.layer_view.message, timeout=60)
        await pilot.press("s")
        await wait_for(pilot, lambda: app.last_status is not None and not app.running, timeout=60)
        assert app.last_status == "completed"
        points = app.main.acc_chart.points("test")
        assert [x for x, _ in points] == list(range(13))
        # a run may end between two looks at its events (12 short epochs): a replay draws only its last boundary
        assert 1 <= app.main.boundary.updates <= 13 and app.main.boundary.grid.epoch == 12
        # the trained circles net puts the inner circle (class 1) in the middle of the plane
        assert app.main.boundary.cell_class(0.5, 0.5) == 1 and app.main.boundary.cell_class(0.02, 0.02) == 0
    summary = json.loads((app.run_dir / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["epochs_completed"] == 12
    assert [p[1] for p in points] == pytest.approx([100 * e["test_acc"] for e in summary["epochs"]])


async def test_layer_table_follows_the_form_with_the_real_engine(tmp_path: Path) -> None:
    app = create_app(AppOptions(runs_dir=tmp_path / "runs"))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: "total parameters: 22" in app.main.layer_view.message, timeout=60)
        await type_into(pilot, app, "model.hidden", "8")
        # 2*8+8 + 8*2+2 parameters
        await wait_for(pilot, lambda: "total parameters: 42" in app.main.layer_view.message)
        app.main.form.set_value("data.dataset", "mnist")
        app.main.form.set_value("model.arch", "convnet")
        await wait_for(pilot, lambda: "pool3" in app.main.layer_view.message, timeout=30)
        assert "0×0" in app.main.layer_view.message
