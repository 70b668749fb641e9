"""The layout at the sizes people use: 120×40, 80×24 and 60 columns, idle and during a run."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable
from tui_fakes import ScriptedEngine, wait_for

from rdfia_tui.tui.app import create_app
from rdfia_tui.tui.options import AppOptions
from rdfia_tui.tui.widgets.charts import SeriesChart, epoch_ticks, tick_labels, y_ticks


def shown(app, selector: str) -> bool:
    """On screen: displayed, with a region inside the terminal."""
    widget = app.main.query_one(selector)
    region = widget.region
    return widget.display and region.height > 0 and region.width > 0 and region.bottom <= app.size.height


def footer_keys(app) -> set[str]:
    return {b.binding.key for b in app.active_bindings.values() if b.enabled and b.binding.show}


def quit_is_visible(app) -> bool:
    """The footer's Quit is drawn inside the terminal, not cut off at its right edge."""
    from textual.widgets._footer import FooterKey

    keys = [k for k in app.screen.query(FooterKey) if k.key == "q"]
    return bool(keys) and keys[0].region.right <= app.size.width and keys[0].region.width > 0


async def start_and_hold(pilot, app, engine: ScriptedEngine) -> None:
    await wait_for(pilot, lambda: app.main.form.config is not None)
    await pilot.press("s")
    await wait_for(pilot, lambda: engine.holding)
    await pilot.pause(0.3)


@pytest.mark.parametrize("size", [(120, 40), (80, 24), (60, 30)])
async def test_idle_every_part_is_on_screen_without_scrolling(tmp_path: Path, size: tuple[int, int]) -> None:
    app = create_app(AppOptions(runs_dir=tmp_path / "runs"), engine=ScriptedEngine())
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: app.main.form.config is not None and "total" in app.main.layer_view.message)
        for selector in ("#presets", "#form", "#layers", "#loss-chart", "#acc-chart", "#status", "#events"):
            assert shown(app, selector), selector
        assert {"s", "r", "q"} <= footer_keys(app) and quit_is_visible(app)
        table = app.main.query_one("#layers-table", DataTable)
        assert table.virtual_size.width <= table.size.width  # params, RF and jump are not cut off
        assert app.main.has_class("-stacked") is (size[0] < 72)


@pytest.mark.parametrize("size", [(80, 24), (60, 30)])
async def test_a_small_screen_gives_a_run_to_the_charts_and_status(tmp_path: Path, size: tuple[int, int]) -> None:
    engine = ScriptedEngine(steps=0, hold_after_epoch=3)
    app = create_app(AppOptions(runs_dir=tmp_path / "runs", overrides=["train.epochs=8"]), engine=engine)
    async with app.run_test(size=size) as pilot:
        await start_and_hold(pilot, app, engine)
        for selector in ("#loss-chart", "#acc-chart", "#status", "#events"):
            assert shown(app, selector), selector
        assert not app.main.query_one("#sidebar").display  # the form's columns went to the charts
        assert app.main.query_one("#loss-chart").region.width >= (size[0] - 4) // (2 if size[0] >= 72 else 1) - 2
        assert {"p", "x", "l", "q", "f", "v"} <= footer_keys(app)
        assert quit_is_visible(app)
        await pilot.press("f")  # the form comes back on request
        await pilot.pause(0.1)
        assert app.main.query_one("#sidebar").display
        await pilot.press("f")
        if size[1] < 36:
            assert not app.main.query_one("#panels").display
            await pilot.press("v")  # the panels, in place of the charts
            await pilot.pause(0.1)
            assert app.main.query_one("#panels").display and not app.main.query_one("#charts").display
        await pilot.press("x")
        await wait_for(pilot, lambda: not app.running)
        assert app.main.query_one("#sidebar").display and app.main.query_one("#charts").display


async def test_a_large_screen_hides_nothing_during_a_run(tmp_path: Path) -> None:
    engine = ScriptedEngine(steps=0, hold_after_epoch=2)
    app = create_app(AppOptions(runs_dir=tmp_path / "runs"), engine=engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await start_and_hold(pilot, app, engine)
        for selector in ("#sidebar", "#panels", "#loss-chart", "#acc-chart", "#status", "#events"):
            assert shown(app, selector), selector
        assert "f" not in footer_keys(app)
        await pilot.press("x")
        await wait_for(pilot, lambda: not app.running)


# --- charts ----------------------------------------------------------------------------------------


def test_epoch_ticks_are_whole_and_start_at_zero() -> None:
    assert epoch_ticks(0) == [0, 1]  # epoch 0 alone: 0..1, not -1..1
    assert epoch_ticks(3) == [0, 1, 2, 3]
    assert epoch_ticks(20) == [0, 4, 8, 12, 16, 20]
    assert epoch_ticks(2.25) == [0, 1, 2, 3]
    assert all(isinstance(t, int) for t in epoch_ticks(37))


@pytest.mark.parametrize(("low", "high"), [(0.0518, 2.3035), (0, 100), (2.30, 2.31), (0.68, 0.72), (-3.2, 41.0)])
def test_y_labels_use_the_fewest_digits_that_tell_them_apart(low: float, high: float) -> None:
    """'2.30352' told nothing that '2.3' did not: round ticks, and no more decimals than they need."""
    ticks = y_ticks(low, high)
    labels = tick_labels(ticks)
    assert ticks[0] <= low and ticks[-1] >= high and 3 <= len(ticks) <= 7
    assert len(set(labels)) == len(labels)
    decimals = max(len(label.partition(".")[2]) for label in labels)
    if decimals:
        assert len({f"{t:.{decimals - 1}f}" for t in ticks}) < len(ticks)  # one decimal fewer would merge two ticks


def test_tiny_values_get_scientific_labels() -> None:
    assert tick_labels([0.0, 5e-5, 1e-4]) == ["0", "5e-05", "0.0001"]


async def test_the_key_is_above_the_plot_not_over_the_data(tmp_path: Path) -> None:
    engine = ScriptedEngine(steps=0, hold_after_epoch=5)
    app = create_app(AppOptions(runs_dir=tmp_path / "runs", overrides=["train.epochs=6"]), engine=engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await start_and_hold(pilot, app, engine)
        chart: SeriesChart = app.main.loss_chart
        lines = chart.render().plain.splitlines()
        keys = chart.key_lines(chart.size.width)
        assert all(name in " ".join(k.plain for k in keys) for name in ("train", "val", "test"))
        plot = "\n".join(lines[len(keys) :])
        assert "train" not in plot and "test" not in plot  # no legend inside the plot
        assert " 0.75" not in plot and "-1" not in plot  # whole epochs, from 0
        await pilot.press("x")
        await wait_for(pilot, lambda: not app.running)


async def test_the_lr_chart_draws_the_rate_actually_used(tmp_path: Path) -> None:
    engine = ScriptedEngine(steps=20, step_delay=0.03)  # few messages: the UI keeps up with the run
    app = create_app(AppOptions(runs_dir=tmp_path / "runs", overrides=["train.epochs=6", "optim.lr=0.1"]), engine=engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.main.form.config is not None)
        await pilot.press("s")
        await wait_for(pilot, lambda: any(x == 1 for x, _ in app.main.schedule_preview.points("used")))
        await pilot.press("l")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "LearningRateDialog")
        app.screen.query_one("#lr-input").value = "0.05"
        await pilot.press("enter")
        await wait_for(pilot, lambda: not app.running, timeout=60)
        used = dict(app.main.schedule_preview.points("used"))
        planned = dict(app.main.schedule_preview.points("planned"))
        assert planned[6] == pytest.approx(0.1) and used[6] == pytest.approx(0.05)  # the change, over the plan


# --- found by a new user on a first try ------------------------------------------------------------


async def test_sixty_columns_show_the_form(tmp_path: Path) -> None:
    app = create_app(AppOptions(runs_dir=tmp_path / "runs"), engine=ScriptedEngine())
    async with app.run_test(size=(60, 30)) as pilot:
        await wait_for(pilot, lambda: app.main.form.config is not None)
        await pilot.pause(0.2)
        form = app.main.query_one("#form")
        assert form.region.height >= 6 and form.region.bottom <= app.size.height


async def test_a_resize_during_a_run_hands_the_keys_back(tmp_path: Path) -> None:
    """Focus left in the preset filter, hidden by a resize, swallowed p and x."""
    engine = ScriptedEngine(steps=0, hold_after_epoch=2)
    app = create_app(AppOptions(runs_dir=tmp_path / "runs"), engine=engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.main.form.config is not None)
        app.main.query_one("#preset-filter").focus()
        await pilot.press("escape")
        app.main.query_one("#preset-filter").focus()
        await app.action_start()
        await wait_for(pilot, lambda: engine.holding)
        await pilot.resize_terminal(80, 24)
        await wait_for(pilot, lambda: not app.main.query_one("#sidebar").display)
        await pilot.pause(0.2)
        assert app.focused is None or app.main.query_one("#sidebar") not in app.focused.ancestors
        assert "x" in footer_keys(app)
        await pilot.press("x")
        await wait_for(pilot, lambda: not app.running)


async def test_v_reaches_every_panel_on_a_short_screen(tmp_path: Path) -> None:
    engine = ScriptedEngine(steps=0, hold_after_epoch=2, plane=False, confusion=True, samples=True, class_names=("a", "b", "c"))
    app = create_app(AppOptions(runs_dir=tmp_path / "runs", preset="cifar10-convnet", overrides=["train.epochs=4"]), engine=engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_and_hold(pilot, app, engine)
        seen = []
        for _ in range(8):
            await pilot.press("v")
            await pilot.pause(0.05)
            seen.append(app.main.panels.active if app.main.query_one("#panels").display else "charts")
        assert {"tab-layers", "tab-confusion", "tab-samples", "charts"} <= set(seen)
        await pilot.press("x")
        await wait_for(pilot, lambda: not app.running)


async def test_pause_and_resume_take_turns_in_the_footer(tmp_path: Path) -> None:
    engine = ScriptedEngine(steps=400, step_delay=0.005)
    app = create_app(AppOptions(runs_dir=tmp_path / "runs"), engine=engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.main.form.config is not None)
        await pilot.press("s")
        await wait_for(pilot, lambda: engine.progress_sent >= 1)
        shown = lambda: {b.binding.description for b in app.active_bindings.values() if b.enabled and b.binding.show}  # noqa: E731
        assert "Pause" in shown() and "Resume" not in shown()
        await pilot.press("p")
        await wait_for(pilot, lambda: "Resume" in shown() and "Pause" not in shown())
        assert "img/s" not in app.main.status_line.text and "ETA" not in app.main.status_line.text  # no stale figures
        await pilot.press("p")
        await wait_for(pilot, lambda: "Pause" in shown())
        await pilot.press("x")
        await wait_for(pilot, lambda: not app.running)


async def test_the_palette_judges_actions_on_the_screen_it_was_opened_from(tmp_path: Path) -> None:
    engine = ScriptedEngine(steps=400, step_delay=0.005)
    app = create_app(AppOptions(runs_dir=tmp_path / "runs"), engine=engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.main.form.config is not None)
        await pilot.press("ctrl+p")
        await pilot.pause(0.1)
        commands = {c.title.split(" (")[0]: c.help for c in app.get_system_commands(app.main)}
        assert "not available" not in commands["Start"] and "not available" in commands["LR"]
        await pilot.press("escape")
        await pilot.press("s")
        await wait_for(pilot, lambda: engine.progress_sent >= 1)
        commands = {c.title.split(" (")[0]: c.help for c in app.get_system_commands(app.main)}
        assert "not available" not in commands["LR"] and "not available" in commands["Start"]
        await pilot.press("x")
        await wait_for(pilot, lambda: not app.running)


async def test_a_filter_with_no_match_says_so_and_a_refused_start_says_refused(tmp_path: Path) -> None:
    from rdfia_tui.tui.widgets.config_form import field_id

    app = create_app(AppOptions(runs_dir=tmp_path / "runs"), engine=ScriptedEngine())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.main.form.config is not None)
        await pilot.press("z", "z", "z")
        await pilot.pause(0.1)
        assert "no preset matches 'zzz'" in str(app.main.query_one("#preset-description").render())
        await pilot.press("escape")
        app.main.query_one("#" + field_id("train.epochs")).value = "x"
        await wait_for(pilot, lambda: "train.epochs" in app.main.form.errors)
        await pilot.press("escape")
        await pilot.press("s")
        await pilot.pause(0.1)
        assert app.main.status_line.text == "refused: fix the form"


async def test_the_runs_screen_keeps_the_differences_reachable_on_80x24(tmp_path: Path) -> None:
    from tui_fakes import write_run

    for i, lr in enumerate((0.3, 0.1, 0.05)):
        write_run(tmp_path / "runs", f"2026112{i}-100000-circles-mlp", lr, [0.5, 0.8, 0.9])
    app = create_app(AppOptions(runs_dir=tmp_path / "runs"), engine=ScriptedEngine())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.main.form.config is not None)
        await pilot.press("r")
        await pilot.pause(0.2)
        await pilot.press("space", "down", "space", "down", "space")
        await pilot.pause(0.3)
        diff = app.screen.query_one("#diff-table", DataTable)
        assert diff.row_count >= 1
        diff.scroll_visible(animate=False)
        await pilot.pause(0.2)
        assert 0 < diff.region.y < app.size.height


def test_the_eta_counts_a_whole_epoch_at_the_wall_time_it_took() -> None:
    from rdfia_tui.engine.training import eta_seconds

    # 10 steps left at 0.1 s, then 0.5 s of evaluation; 3 epochs left at 4 s each (all included)
    assert eta_seconds(10, 0.1, 3, 20, 0.5, 4.0) == pytest.approx(1.0 + 0.5 + 12.0)
    # before any epoch has ended: the steps at this pace, plus one evaluation per epoch
    assert eta_seconds(10, 0.1, 3, 20, 0.5, 0.0) == pytest.approx(1.5 + 3 * 2.5)


async def test_the_lr_preview_draws_a_onecycle_and_says_when_the_form_is_wrong(tmp_path: Path) -> None:
    options = AppOptions(runs_dir=tmp_path / "runs", overrides=["schedule.name=onecycle", "train.epochs=8"])
    app = create_app(options, engine=ScriptedEngine())
    async with app.run_test(size=(120, 40)) as pilot:
        preview = app.main.schedule_preview
        await wait_for(pilot, lambda: len(preview.values) == 8)
        assert max(preview.values) == pytest.approx(app.main.form.config.optim.lr) and preview.values.index(max(preview.values)) == 2
        app.main.form.set_value("schedule.warmup", "1.0")
        await wait_for(pilot, lambda: "form has an error" in preview.caption)
        app.main.form.set_value("schedule.warmup", "0.5")
        await wait_for(pilot, lambda: preview.caption == "1cycle up 0.5")
        assert preview.values.index(max(preview.values)) == 4
