"""The class panels (confusion matrix, sample images) and the schedule preview, against the scripted engine."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.text import Text
from textual.widgets import Select
from tui_fakes import ScriptedEngine, make_app, ready, scripted_confusion, scripted_image, type_into, wait_for

from rdfia_tui.engine.events import EpochEnded, SamplePredictions
from rdfia_tui.engine.schedules import lr_table
from rdfia_tui.tui.app import RdfiaApp
from rdfia_tui.tui.widgets import event_log
from rdfia_tui.tui.widgets.confusion import DIAGONAL_RAMP, MISTAKE_RAMP, ConfusionPanel, column_headers, heat_style, per_class_accuracy
from rdfia_tui.tui.widgets.samples import (
    MIN_LABEL,
    RIGHT_STYLE,
    WRONG_STYLE,
    half_blocks,
    pair_label,
    resample,
    separator_for,
    xterm256,
)

CIFAR = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def image_engine(**kwargs) -> ScriptedEngine:
    return ScriptedEngine(plane=False, confusion=True, samples=True, class_names=CIFAR, **kwargs)


def style_at(line: Text, offset: int) -> str:
    """The last span style covering character ``offset`` of a rendered line ('' when none)."""
    styles = [str(span.style) for span in line.spans if span.start <= offset < span.end]
    return styles[-1] if styles else ""


async def run_to_end(pilot, app: RdfiaApp) -> None:
    await ready(pilot, app)
    await pilot.press("s")
    await wait_for(pilot, lambda: app.last_status == "completed" and not app.running)


# ---- the confusion panel ----------------------------------------------------------------


def test_per_class_accuracy_is_diagonal_over_row_sum() -> None:
    assert per_class_accuracy([[3, 1], [2, 2]]) == [0.75, 0.5]
    assert per_class_accuracy([[0, 0], [1, 1]]) == [None, 0.5]


def test_heat_style_brightens_with_the_share_of_the_row() -> None:
    assert heat_style(0, 10, True) == "dim"
    assert heat_style(10, 10, True) == f"color(16) on color({DIAGONAL_RAMP[-1]})"
    assert heat_style(10, 10, False) == f"color(16) on color({MISTAKE_RAMP[-1]})"
    assert heat_style(1, 100, False) == f"color(255) on color({MISTAKE_RAMP[0]})"
    steps = [MISTAKE_RAMP.index(int(heat_style(k, 100, False).split("color(")[-1].rstrip(")"))) for k in (1, 5, 20, 50, 100)]
    assert steps == sorted(steps) and steps[0] < steps[-1]


def test_column_headers_fall_back_to_indices_when_cut_names_collide() -> None:
    assert column_headers(CIFAR, 4)[:3] == ["airp", "auto", "bird"]
    assert column_headers(("class_a", "class_b"), 4) == ["0", "1"]


def test_a_narrow_confusion_panel_lists_per_class_accuracy_instead() -> None:
    panel = ConfusionPanel()
    panel.set_matrix(2, [[8, 2], [1, 9]], ("cat", "dog"))
    grid = [line.plain for line in panel.lines(60)]
    assert grid[1].split() == ["cat", "dog", "acc"] and grid[2].split() == ["cat", "8", "2", "80.0%"]
    panel.set_matrix(2, scripted_confusion(2, 10), CIFAR)
    listed = [line.plain for line in panel.lines(40)]  # ten 4-wide columns do not fit in 40
    assert listed[0] == "per-class test accuracy · epoch 2"
    assert listed[1].split() == ["airplane", "20.0%"] and len(listed) == 12
    assert listed[-1] == "overall 44.8% (65/145)"  # (2 + 3 + ... + 11) / (10 + 11 + ... + 19)


async def test_an_image_run_fills_the_confusion_and_sample_panels(tmp_path: Path) -> None:
    epochs = 4
    engine = image_engine(steps=3, step_delay=0.05)
    app = make_app(tmp_path, engine, preset="cifar10-convnet", overrides=[f"train.epochs={epochs}"])
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        confusion, samples = app.main.confusion, app.main.samples
        assert app.main.class_tabs_shown() == set() and confusion.updates == 0
        assert app.main.check_action("next_panel", ()) is True  # the layer and lesson tabs
        await pilot.press("s")

        # mid-run, each panel shows its latest event
        await wait_for(pilot, lambda: samples.samples is not None and samples.samples.epoch >= 1)
        assert confusion.matrix == scripted_confusion(confusion.epoch, 10)
        epoch = samples.samples.epoch  # scripted: image i is right from epoch i on
        assert [ok for _, ok in samples.labels] == [i <= epoch for i in range(10)]
        assert app.main.panels.active == "tab-confusion"  # the first class panel takes over from the layer table

        await wait_for(pilot, lambda: app.last_status == "completed" and not app.running)
        last_epoch = [e for e in engine.events if isinstance(e, EpochEnded)][-1]
        last_samples = [e for e in engine.events if isinstance(e, SamplePredictions)][-1]
        assert confusion.updates == samples.updates == epochs + 1
        assert confusion.epoch == epochs and confusion.matrix == last_epoch.confusion and samples.samples is last_samples
        assert app.main.class_tabs_shown() == {"tab-confusion", "tab-samples"}
        assert app.main.check_action("next_panel", ()) is True

        # ---- the confusion grid: counts, per-class accuracy, overall
        lines = confusion.lines(confusion.content_size.width)
        assert lines[0].plain.startswith(f"test confusion · epoch {epochs}")
        assert lines[1].plain.split() == ["airp", "auto", "bird", "cat", "deer", "dog", "frog", "hors", "ship", "truc", "acc"]
        # row i of the scripted matrix: epochs + i right out of 10 + i, the rest predicted as class i + 1
        for i, name in enumerate(CIFAR):
            cells = lines[2 + i].plain.split()
            right, total = epochs + i, 10 + i
            expected = [0] * 10
            expected[i] += right
            expected[(i + 1) % 10] += total - right
            assert cells[0] == name
            assert [int(c) for c in cells[1:11]] == expected
            assert cells[11] == f"{100 * right / total:.1f}%"
            assert confusion.accuracies[name] == pytest.approx(right / total)
        correct = sum(epochs + i for i in range(10))
        total = sum(10 + i for i in range(10))
        assert lines[-1].plain == f"overall {100 * correct / total:.1f}% ({correct}/{total})"
        assert confusion.overall == pytest.approx(correct / total)

        # the cells carry 256-colour backgrounds: green on the diagonal, red for mistakes, none for zeros
        cat = lines[2 + 3]
        label_width, cell = len("automobile"), 4

        def cell_end(j: int) -> int:
            return label_width + j * (cell + 1) + cell  # the last character of column j

        assert style_at(cat, cell_end(3)) == heat_style(7, 13, True)
        assert f"on color({DIAGONAL_RAMP[3]})" in style_at(cat, cell_end(3))  # sqrt(7/13) of the way up the ramp
        assert style_at(cat, cell_end(4)) == heat_style(6, 13, False)
        assert f"on color({MISTAKE_RAMP[3]})" in style_at(cat, cell_end(4))
        assert style_at(cat, cell_end(0)) == "dim"

        # ---- the samples: labels green when right, red when wrong, images in their colours
        assert samples.labels[0] == ("airplane / airplane", True) and samples.labels[9] == ("truck / airplane", False)
        assert [ok for _, ok in samples.labels] == [i <= epochs for i in range(10)]
        app.main.panels.active = "tab-samples"
        await pilot.pause()
        width = samples.content_size.width
        size, per_row = samples.layout_for(width)
        lines = samples.lines(width)
        assert lines[0].plain == f"samples · epoch {epochs} · 5/10 right"
        assert len(lines) == samples.size.height <= 17  # leaves the charts their room at 120x40
        colour = xterm256(*(channel[0][0] for channel in scripted_image(0)))  # the first image is flat
        assert lines[1].plain[:size] == "▀" * size
        assert style_at(lines[1], 0) == f"color({colour}) on color({colour})"
        label_line = lines[1 + size // 2]
        column = max(size, MIN_LABEL) + 1
        assert [style_at(label_line, i * column) for i in range(per_row)] == [RIGHT_STYLE if i < 5 else WRONG_STYLE for i in range(per_row)]
        assert label_line.plain.split()[:3] == ["airpl/airpl", "autom/autom", "bird/bird"]  # one format for every label

        # ---- v cycles through the visible tabs
        app.screen.set_focus(None)
        seen = []
        for _ in range(4):
            await pilot.press("v")
            await pilot.pause()
            seen.append(app.main.panels.active)
        assert seen == ["tab-layers", "tab-lesson", "tab-confusion", "tab-samples"]


async def test_class_panels_stay_hidden_for_2d_data_and_a_new_plan_replaces_the_boundary(tmp_path: Path) -> None:
    # the real engine sends a confusion matrix for circles too; the panel must not show it
    engine = ScriptedEngine(plane=True, confusion=True)
    app = make_app(tmp_path, engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await run_to_end(pilot, app)
        assert any(isinstance(e, EpochEnded) and e.confusion for e in engine.events)
        assert app.main.class_tabs_shown() == set() and app.main.panels.active == "tab-layers"
        assert app.main.confusion.updates == 0

        # after the run the boundary holds the preview's place until the plan changes
        top = app.main.query_one("#top-row")
        assert app.main.boundary.display and top.has_class("-plane") and not app.main.schedule_preview.region.area
        await type_into(pilot, app, "model.hidden", "8")  # not part of the plan: the boundary stays
        assert app.main.boundary.display
        await type_into(pilot, app, "optim.lr", "0.05")
        await pilot.pause()
        assert not app.main.boundary.display and not top.has_class("-plane")
        assert app.main.schedule_preview.region.area > 0
        assert app.main.schedule_preview.values == planned(app)

        # the next run is on images: the class panels appear and the boundary does not
        engine.plane, engine.samples, engine.class_names = False, True, CIFAR
        app.screen.set_focus(None)
        await pilot.press("s")
        await wait_for(pilot, lambda: app.main.samples.updates > 0 and not app.running)
        assert app.main.class_tabs_shown() == {"tab-confusion", "tab-samples"}
        assert not app.main.boundary.display and app.main.confusion.class_names == CIFAR
        assert app.main.panels.active == "tab-confusion"
        # once idle again, changing the plan brings the preview back into view
        await type_into(pilot, app, "train.epochs", "7")
        assert app.main.panels.active == "tab-layers" and len(app.main.schedule_preview.values) == 7


# ---- the sample images -------------------------------------------------------------------


def test_xterm256_maps_known_colours() -> None:
    assert xterm256(0, 0, 0) == 16
    assert xterm256(255, 255, 255) == 231
    assert xterm256(255, 0, 0) == 196
    assert xterm256(0, 255, 0) == 46
    assert xterm256(0, 0, 255) == 21
    assert xterm256(95, 135, 175) == 16 + 36 * 1 + 6 * 2 + 3  # exactly a cube colour
    assert xterm256(128, 128, 128) == 244  # the grey ramp's 8 + 10 * 12, nearer than the cube's 135
    assert xterm256(8, 8, 8) == 232


def test_half_blocks_put_the_top_pixel_in_front_and_the_bottom_behind() -> None:
    red = ((255,), (0,))  # one channel, H=2, W=1: the top pixel on, the bottom off
    green = ((0,), (0,))
    blue = ((0,), (255,))
    red_over_blue = (red, green, blue)
    [line] = half_blocks(resample(red_over_blue, 2, 1))
    assert line.plain == "▀"
    assert style_at(line, 0) == "color(196) on color(21)"
    grey = (((0, 255), (128, 255)),)  # one channel: grey levels
    [line] = half_blocks(resample(grey, 2, 2))
    assert [style_at(line, i) for i in range(2)] == ["color(16) on color(244)", "color(231) on color(231)"]


def test_resample_averages_blocks_and_repeats_pixels() -> None:
    image = ((tuple(range(4)), tuple(range(4, 8)), tuple(range(8, 12)), tuple(range(12, 16))),)  # 1x4x4, value = 4*row + col
    assert resample(image, 2, 2) == [[(3, 3, 3), (5, 5, 5)], [(11, 11, 11), (13, 13, 13)]]  # means of 2x2 blocks, rounded half up
    tiny = (((10, 20),),)  # 1x1x2 grown to 2x4
    assert resample(tiny, 2, 4) == [[(10, 10, 10), (10, 10, 10), (20, 20, 20), (20, 20, 20)]] * 2


def test_pair_label_fits_its_column() -> None:
    assert pair_label("cat", "dog", 12) == "cat / dog"
    assert pair_label("horse", "truck", 12, "/") == "horse/truck"
    assert pair_label("airplane", "automobile", 12, "/") == "airpl/autom"
    assert all(len(pair_label(a, b, 9, sep)) <= 9 for a in CIFAR for b in CIFAR for sep in (" / ", "/"))
    assert separator_for([("cat", "dog"), ("bird", "frog")], 12) == " / "
    assert separator_for([("cat", "dog"), ("airplane", "frog")], 12) == "/"  # one long pair: "/" for all


async def test_small_terminal_shrinks_the_images_and_scrolls(tmp_path: Path) -> None:
    app = make_app(tmp_path, image_engine(), preset="cifar10-convnet", overrides=["train.epochs=1"])
    async with app.run_test(size=(80, 24)) as pilot:
        await run_to_end(pilot, app)
        app.main.panels.active = "tab-samples"
        await pilot.pause()
        panel = app.main.samples
        size, per_row = panel.layout_for(panel.content_size.width)
        assert size < 16 and per_row * (max(size, 9) + 1) <= panel.content_size.width + 1
        pane = app.main.query_one("#tab-samples")
        assert pane.virtual_size.height > pane.size.height  # the rest of the images is a scroll away in the panel


# ---- the schedule preview ----------------------------------------------------------------


def planned(app: RdfiaApp) -> list[float]:
    cfg = app.main.form.config
    return lr_table(cfg.schedule, cfg.optim.lr, cfg.train.epochs)


async def test_schedule_preview_follows_the_form(tmp_path: Path) -> None:
    app = make_app(tmp_path, preset="cifar10-convnet")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        preview = app.main.schedule_preview
        assert preview.display and preview.size.width >= 22 and preview.size.height >= 6  # on screen before any run
        assert preview.values == planned(app) == [0.1] * 20
        assert [x for x, _ in preview.points("planned")] == list(range(1, 21))

        app.main.query_one("#field-schedule-name", Select).value = "step"
        await pilot.pause()
        await type_into(pilot, app, "schedule.step_size", "2")
        await type_into(pilot, app, "schedule.gamma", "0.5")
        await type_into(pilot, app, "train.epochs", "5")
        assert preview.values == planned(app) == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])
        await type_into(pilot, app, "optim.lr", "0.2")
        assert preview.values == pytest.approx([0.2, 0.2, 0.1, 0.1, 0.05])
        assert "step ×0.5/2" in preview.caption

        app.main.query_one("#field-schedule-name", Select).value = "time"
        await pilot.pause()
        await type_into(pilot, app, "schedule.decay", "1")
        assert preview.values == planned(app) == pytest.approx([0.2, 0.1, 0.2 / 3, 0.05, 0.04])

        # an invalid value leaves the last valid plan on screen
        await type_into(pilot, app, "schedule.decay", "-3")
        assert app.main.form.config is None
        assert preview.values == pytest.approx([0.2, 0.1, 0.2 / 3, 0.05, 0.04])


# ---- a picture of the class panels -------------------------------------------------------


def test_confusion_tab_after_a_scripted_image_run(snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(event_log, "wall_clock", lambda: "12:00:00")
    app = make_app(Path("."), image_engine(steps=0), preset="cifar10-convnet", overrides=["train.epochs=6"])

    async def run(pilot) -> None:
        await run_to_end(pilot, app)
        await pilot.pause(0.4)  # one chart redraw period

    assert snap_compare(app, terminal_size=(120, 40), run_before=run)
