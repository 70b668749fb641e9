"""The chart keys on the main screen (and the sweep screen): what each does to the charts, and what is kept."""

from __future__ import annotations

import json
import math
import random
from dataclasses import replace
from pathlib import Path

import pytest
from test_sweep_tui import SweepHost, handmade_sweep, hosted
from tui_fakes import make_app, scripted_metrics, wait_for

from rdfia_tui.engine.events import BatchProgress
from rdfia_tui.engine.smoothing import Smoothing
from rdfia_tui.tui.chart_settings import settings_path
from rdfia_tui.tui.screens.chart_options import ChartOptions
from rdfia_tui.tui.widgets.chart_view import zoomed
from rdfia_tui.tui.widgets.charts import MAX_STEP_POINTS, SeriesChart
from rdfia_tui.tui.widgets.run_curves import SMOOTHING, RunCurves

EPOCHS, STEPS = 4, 3


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config"


def kept() -> dict:
    return json.loads(settings_path().read_text())


def key_text(chart: SeriesChart) -> str:
    return " ".join(line.plain for line in chart.key_lines(chart.size.width))


def plot_text(chart: SeriesChart) -> str:
    return "\n".join(chart.render().plain.splitlines()[len(chart.key_lines(chart.size.width)) :])


async def filled_charts(pilot, app) -> tuple[SeriesChart, SeriesChart]:
    """The main screen's charts as a run fills them (epochs 0..EPOCHS, STEPS losses per epoch), without running one."""
    await wait_for(pilot, lambda: app.main.form.config is not None)
    curves = app.main.curves
    curves.reset()
    for epoch in range(EPOCHS + 1):
        if epoch:
            losses = tuple(1.0 / (epoch + step / STEPS) for step in range(1, STEPS + 1))
            curves.add_steps(BatchProgress(epoch, STEPS, STEPS, losses[-1], 1000.0, 1.0, losses), losses)
        curves.add_epoch(scripted_metrics(epoch, EPOCHS, 0.1))
    await pilot.pause()
    return curves.loss, curves.acc


async def test_chart_keys_change_smoothing_scales_range_series_palette_and_cursor(config_dir: Path) -> None:
    """Every chart key in turn on charts filled as by a run (one app: each start costs seconds). The kept
    settings of a previous session are used from the start."""
    settings_path().parent.mkdir(parents=True)
    settings_path().write_text(json.dumps({"palette": "okabe-ito", "smoothing": {"mode": "off", "weight": 0.9}}))
    app = make_app(config_dir.parent)
    async with app.run_test(size=(100, 30)) as pilot:
        loss, acc = await filled_charts(pilot, app)
        assert loss.settings.palette == acc.settings.palette == "okabe-ito"
        before = plot_text(loss)

        # smoothing: e cycles off -> EMA -> mean -> off; ] and [ step the weight or window; all kept in the file
        await pilot.press("e")
        assert loss.settings.smoothing.mode == acc.settings.smoothing.mode == "ema"
        assert kept()["smoothing"]["mode"] == "ema" and "EMA 0.9" in key_text(loss)
        assert plot_text(loss) != before  # the plot is redrawn smoothed, the raw curves faint beneath
        avg_y = loss._shown["steps (avg)"][1]
        assert avg_y[-1] == pytest.approx(loss.settings.smoothing.apply(loss._shown["steps"][1])[-1])  # the average is the chosen one
        await pilot.press("right_square_bracket")
        assert loss.settings.smoothing.weight == 0.95
        await pilot.press("left_square_bracket")
        assert loss.settings.smoothing.weight == 0.9 and kept()["smoothing"]["weight"] == 0.9
        await pilot.press("e", "right_square_bracket")
        assert loss.settings.smoothing.mode == "mean" and loss.settings.smoothing.window == 9
        await pilot.press("b")
        assert loss.settings.band and kept()["band"] is True
        await pilot.press("e")
        assert not loss.settings.smoothing.on

        # palette, kept: okabe-ito -> Paul Tol's bright
        await pilot.press("t")
        assert loss.settings.palette == "tol-bright" and kept()["palette"] == "tol-bright"
        assert loss.style("train")[1] == "#4477AA" and loss.style("val")[2] != loss.style("train")[2]  # colour and marker

        # log y: labels change; log x leaves epoch 0 out and says so in the key
        linear = plot_text(loss)
        await pilot.press("y")
        assert loss.view.log_y and acc.view.log_y and plot_text(loss) != linear
        await pilot.press("h")
        assert loss.view.log_x and "3 points ≤ 0 not drawn" in key_text(loss)  # train, val and test at epoch 0
        await pilot.press("h", "y")
        assert not (loss.view.log_x or loss.view.log_y) and not loss.note

        # y range: fit to data, zoom, reset
        assert acc.shown_y == (0, 100)
        await pilot.press("z")
        low, high = acc.shown_y
        assert acc.view.fit_y and 60 <= low <= 65 and high >= 90 and high - low <= 35  # epochs 2-4 (the second half): 65-90%
        await pilot.press("plus")
        assert acc.view.y_range is not None and acc.view.y_range[1] - acc.view.y_range[0] == pytest.approx((high - low) / 1.5)
        await pilot.press("minus")
        assert acc.view.y_range[1] - acc.view.y_range[0] == pytest.approx(high - low)
        await pilot.press("0")
        assert acc.view.y_range is None and not acc.view.fit_y and acc.shown_y == (0, 100)

        # the cursor: the key gives every series' exact value at that epoch
        await pilot.press("comma")
        assert loss.view.cursor == acc.view.cursor == EPOCHS - 1
        train_loss = dict(loss.points("train"))[EPOCHS - 1]
        assert f"train {train_loss:.4g}" in key_text(loss) and f"@ epoch {EPOCHS - 1}" in key_text(loss)
        await pilot.press("full_stop")
        assert loss.view.cursor is None and f"train {dict(loss.points('train'))[EPOCHS]:.4g}" in key_text(loss)

        # series on and off: 1-4 are train, val, test, the per-step loss (and its average)
        await pilot.press("2", "4")
        assert loss.view.hidden == {"val", "steps", "steps (avg)"} and acc.view.hidden == {"val", "steps"}
        assert "val off" in key_text(loss)
        await pilot.press("1", "3", "4")
        assert loss.view.hidden == {"train", "val", "test"}

        # g: the options, whose keys act while it is open
        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(app.screen, ChartOptions))
        table = lambda: str(app.screen.query_one("#chart-options-table").render())  # noqa: E731
        assert "smoothing" in table() and "Paul Tol bright" in table() and "train off  val off  test off  steps on" in table()
        await pilot.press("e", "z")
        assert loss.settings.smoothing.mode == "ema" and loss.view.fit_y
        assert "EMA 0.9 (debiased" in table() and "fit to data" in table()
        await pilot.press("escape")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "MainScreen")


async def test_a_bad_settings_file_is_one_note_not_a_crash(tmp_path: Path, config_dir: Path) -> None:
    settings_path().parent.mkdir(parents=True)
    settings_path().write_text("{broken")
    app = SweepHost(tmp_path / "runs")  # any screen with charts reads the file; this one starts fastest
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: any("unreadable" in str(n.message) for n in app._notifications))
        assert app.screen.query_one("#sweep-acc", SeriesChart).settings.palette == "default"
        assert sum("chart settings" in str(n.message) for n in app._notifications) == 1
        # before any curve, the dialog lists every key it takes (1-4 too) and says when the keys act without it
        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(app.screen, ChartOptions))
        table = str(app.screen.query_one("#chart-options-table").render())
        assert "1-4" in table and "series" in table and "once a run drew curves" in table
        inner = app.screen.query_one("#chart-options-table").size.width
        assert max(len(line.rstrip()) for line in table.splitlines()) <= inner  # nothing wraps at 80x24
        await pilot.press("1")
        assert "train off" in str(app.screen.query_one("#chart-options-table").render())


async def test_each_bad_setting_is_also_a_line_of_the_event_log(tmp_path: Path, config_dir: Path) -> None:
    """Toasts can be pushed off a small screen before they are read: the main screen's log keeps the note, one line for all."""
    settings_path().parent.mkdir(parents=True)
    settings_path().write_text(json.dumps({"palette": "neon", "band": "yes", "colour": 3}))
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: any(e.startswith("note: chart settings") for e in app.main.log_view.entries))
        (note,) = [e for e in app.main.log_view.entries if e.startswith("note: ")]  # one line naming every problem
        assert "'neon'" in note and 'using "default"' in note and "'yes'" in note and "using false" in note and "'colour'" in note


async def test_the_sweep_curves_take_the_chart_keys(tmp_path: Path, config_dir: Path) -> None:
    points = [
        {"choice": [i], "seed": 0, "labels": {"lr": lr}, "status": "completed", "final_test_acc": acc}
        for i, (lr, acc) in enumerate([("0.1", 0.6), ("0.01", 0.7)])
    ]
    handmade_sweep(tmp_path / "runs" / "lr", "lr sweep", points, {"lr": ["0.1", "0.01"]})
    app = SweepHost(tmp_path / "runs")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await hosted(pilot, app)
        chart = screen.query_one("#sweep-acc", SeriesChart)
        await pilot.press("z", "comma")
        assert chart.view.fit_y and chart.view.cursor == 0
        assert all(f"{name} 10 " in key_text(chart) + " " for name in chart.series)  # both runs at 10% at epoch 0
        await pilot.press("full_stop")
        assert chart.view.cursor is None and f"{next(iter(chart.series))} 60 " in key_text(chart) + " "


def long_run(epochs: int, steps: int) -> tuple[RunCurves, list[float]]:
    """Curves fed as a long run feeds them (progress events of 1-150 losses, across epoch ends), and every loss."""
    curves = RunCurves(SeriesChart("loss"), SeriesChart("accuracy"))
    curves.reset()
    rng, losses, pending = random.Random(0), [], []
    for epoch in range(1, epochs + 1):
        for step in range(1, steps + 1):
            t = (epoch - 1) * steps + step
            pending.append((2.3 * math.exp(-t / 300) + 0.02) * rng.uniform(0.5, 1.5))
            if len(pending) >= rng.randint(1, 150) or (step == steps and epoch == epochs):
                losses += pending
                curves.add_steps(BatchProgress(epoch, step, steps, pending[-1], 1000.0, 1.0, tuple(pending)), pending)
                pending = []
        curves.add_epoch(scripted_metrics(epoch, epochs, 0.1))
    return curves, losses


@pytest.mark.parametrize("smoothing", [Smoothing("off"), Smoothing("ema", weight=0.8), Smoothing("mean", window=25)])
def test_the_step_average_at_an_epoch_is_that_of_every_step_to_its_end_on_a_long_run(smoothing: Smoothing) -> None:
    """40 epochs of 469 steps: far more steps than are drawn. The key's "steps (avg)" at epoch k is the chosen
    smoothing (EMA 0.9 while off) of every step loss up to the last step of epoch k, and does not move as the run goes on."""
    epochs, steps = 40, 469
    curves, losses = long_run(epochs, steps)
    loss = curves.loss
    loss.settings = replace(loss.settings, smoothing=smoothing)
    loss._visible()
    assert len(loss._shown["steps"][0]) <= MAX_STEP_POINTS < len(losses)
    expected = (smoothing if smoothing.on else Smoothing("ema", weight=SMOOTHING)).apply(losses)
    for k in (1, 2, 5, 20, 39, 40):
        assert loss.value("steps (avg)", k) == pytest.approx(expected[k * steps - 1], rel=1e-9)
        assert loss.value("steps", k) == losses[k * steps - 1]
    early, _ = long_run(5, steps)  # the same losses (same seed), fewer epochs: epoch 2 reads the same
    early.loss.settings = loss.settings
    early.loss._visible()
    assert early.loss.value("steps (avg)", 2) == pytest.approx(loss.value("steps (avg)", 2), rel=1e-12)


def test_fit_y_shows_the_last_epochs_and_zoom_keeps_the_latest_points() -> None:
    """Accuracy climbing 10% -> 90% -> 97%: z leaves the untrained epoch 0 and the first jump out of the range,
    and + narrows the range about the latest values, which stay inside."""
    chart = SeriesChart("accuracy")
    chart.ylim = (0, 100)
    for epoch, acc in enumerate([10, 90, 93, 94.5, 95.5, 96.2, 96.6, 96.9, 97.0]):
        chart.append("train", epoch, acc + 0.5)
        chart.append("test", epoch, acc)
    chart._draw()
    assert chart.shown_y == (0, 100)
    chart.view.fit_y = True
    chart._draw()
    low, high = chart.shown_y
    assert 90 <= low <= 95.5 and 97.5 <= high <= 100
    for _ in range(3):  # + three times, as the key does
        chart.view.y_range = zoomed(*(chart.view.y_range or chart.shown_y), 1 / 1.5, chart.latest_y)
        chart._draw()
        low, high = chart.shown_y
        assert low <= 97.0 and high >= 97.5
    chart.view.reset_y()
    chart.view.cursor = 1
    chart._draw()
    chart.view.y_range = zoomed(*chart.shown_y, 1 / 1.5, chart.latest_y)  # about the cursor's values (epoch 1)
    assert chart.view.y_range[0] <= 90 <= 90.5 <= chart.view.y_range[1]
