"""The lr range test: the engine's sweep on circles, its record, the command line's refusals, the arithmetic, and the
console's dialog with a scripted finder."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest
from tui_fakes import ScriptedEngine, make_app, ready, wait_for

from rdfia_tui.cli.main import main
from rdfia_tui.cli.text_plot import log_plot
from rdfia_tui.engine.events import LrProbe, RunFinished
from rdfia_tui.engine.live.stream import read_events
from rdfia_tui.engine.lr_find import LrFindResult
from rdfia_tui.engine.lr_range import (
    CURVE_FILE,
    MIN_OVER_10,
    NO_FALL,
    STEEPEST,
    LrRange,
    Probe,
    Smoother,
    read_curve_csv,
    suggest,
)
from rdfia_tui.engine.runs.listing import list_runs
from rdfia_tui.engine.runs.status import RunStatus
from rdfia_tui.engine.runs.summary import read_summary

# a circles network that learns within a hundred steps (the 2-4-2 tanh one needs thousands)
CIRCLES = ["circles-mlp", "--set", "model.hidden=16", "--set", "model.activation=relu", "--set", "train.batch_size=32"]


def test_on_circles_it_suggests_an_lr_where_the_recorded_loss_falls(tmp_path: Path, capsys) -> None:
    argv = ["lr-find", *CIRCLES, "--start-lr", "1e-3", "--end-lr", "100", "--steps", "120", "--runs-dir", str(tmp_path)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    (run,) = [Path(r["run_dir"]) for r in list_runs(tmp_path)]
    summary = read_summary(run)
    found = summary["lr_find"]
    probes = read_curve_csv((run / CURVE_FILE).read_text())
    assert summary["status"] == RunStatus.COMPLETED and summary["epochs"] == [] and len(probes) == found["steps_done"]
    assert (run / "config.toml").is_file()
    # the suggestion is one of the recorded lrs, below the lowest loss, where the smoothed loss is falling
    k = next(i for i, p in enumerate(probes) if p.lr == found["suggested_lr"])
    assert found["rule"] == STEEPEST and found["suggested_lr"] < found["min_loss_lr"]
    window = max(2, found["steps"] // 40)
    assert probes[k + window].smoothed < probes[k - window].smoothed < probes[0].loss
    # it went on until the loss blew up, and said where
    assert found["diverged_lr"] == probes[-1].lr and found["diverged_lr"] > found["min_loss_lr"]
    assert f"suggested lr: {found['suggested_lr']:.3g} ({STEEPEST})" in out and f"diverged at lr {found['diverged_lr']:.3g}" in out
    assert "optim.lr 0.3 is" in out and "|" in out and "1e+00" in out  # the sentence about the config's lr, and the plot
    events = read_events(run / "events.jsonl")
    steps = [e for e in events if isinstance(e, LrProbe)]
    assert [e.step for e in steps] == [p.step for p in probes] and isinstance(events[-1], RunFinished)
    assert main(["summary", str(run)]) == 0
    assert f"The suggested learning rate is {found['suggested_lr']:.3g}" in capsys.readouterr().out
    assert main(["runs", "--runs-dir", str(tmp_path)]) == 0
    assert any(run.name in line and "completed" in line and "lr-find" in line.split() for line in capsys.readouterr().out.splitlines())


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--start-lr", "1", "--end-lr", "0.1"], "--start-lr 1 is not below --end-lr 0.1"),
        (["--start-lr", "0.1", "--end-lr", "0.1"], "is not below"),
        (["--steps", "5"], "--steps: got 5"),
        (["--start-lr", "0"], "--start-lr: got 0"),
        (["--end-lr", "-3"], "--end-lr: got -3"),
        (["--end-lr", "nan"], "--end-lr: got nan"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(tmp_path: Path, capsys, args: list[str], words: str) -> None:
    assert main(["lr-find", "circles-mlp", *args, "--runs-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err and err.startswith("rdfia-tui: error:")
    assert not tmp_path.exists() or not any(tmp_path.iterdir())  # refused before any folder was made


def curve(losses: list[float], start: float = 1e-4, end: float = 10.0) -> list[Probe]:
    sweep, smoother = LrRange(start, end, len(losses)), Smoother()
    return [Probe(i + 1, sweep.lr_at(i), v, smoother.add(v)) for i, v in enumerate(losses)]


def test_the_suggestion_follows_the_steepest_fall_and_names_its_rule() -> None:
    # flat at 2.3, falls fastest around step 60, bottoms out near step 90, then blows up
    losses = [2.3 - 2.0 / (1 + math.exp(-(i - 60) / 6)) if i < 95 else 0.3 * 1.6 ** (i - 94) for i in range(120)]
    probes = curve(losses)
    found = suggest(probes[:110], "blew up")
    assert found.rule == STEEPEST and found.diverged_lr == probes[109].lr
    assert probes[55].lr < found.suggested_lr < probes[75].lr  # the smoothing lags a few steps behind the raw curve
    assert found.min_over_10_lr == pytest.approx(found.min_loss_lr / 10)


def test_a_curve_that_never_falls_gets_no_suggestion() -> None:
    noisy = [2.3 + 0.05 * math.sin(i) for i in range(100)]
    found = suggest(curve(noisy))
    assert found.suggested_lr is None and found.rule == NO_FALL and found.diverged_lr is None
    short = suggest(curve([2.3, 2.3, 2.3, 0.1, 9, 9, 9, 9, 9, 9]))  # too few points before the lowest for a slope
    assert short.rule == MIN_OVER_10 and short.suggested_lr == pytest.approx(short.min_loss_lr / 10)


def test_the_sweep_grows_the_lr_geometrically_from_start_to_end() -> None:
    sweep = LrRange(1e-4, 1.0, 13)
    assert [sweep.lr_at(i) for i in range(0, 13, 3)] == pytest.approx([1e-4, 1e-3, 1e-2, 1e-1, 1.0])


def test_the_text_plot_marks_lrs_and_labels_decades() -> None:
    lines = log_plot([1e-3, 1e-2, 1e-1, 1.0], [2.0, 1.0, 0.5, 3.0], {"suggested": 1e-2}, width=31, height=5)
    assert lines[0].strip().startswith("3") and lines[-3].strip().startswith("0.5")
    assert all(line.split("|")[1][10] in "s*" for line in lines[:5])  # the mark's column, under the point
    assert "1e-03" in lines[-1] and "1e+00" in lines[-1]
    assert log_plot([1.0], [math.nan]) == []


class FindingEngine(ScriptedEngine):
    """The scripted engine with an lr range test: a falling then exploding curve, in a few dozen LrProbe events."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[tuple] = []

    def lr_find(self, cfg, sweep, emit, control, runs_dir, data_root) -> LrFindResult:
        self.asked.append((cfg.name, sweep.steps))
        losses = [2.3 - 2.0 / (1 + math.exp(-(i - 30) / 4)) if i < 50 else 0.3 * 2.0 ** (i - 49) for i in range(60)]
        probes = curve(losses, sweep.start_lr, sweep.end_lr)[:56]
        for p in probes:
            emit(LrProbe(p.step, sweep.steps, p.lr, p.loss, p.smoothed))
        return LrFindResult(RunStatus.COMPLETED, runs_dir / "lr-find", probes, suggest(probes, "blew up"), 0.5)


async def test_the_console_draws_the_sweep_and_a_puts_the_suggestion_in_the_form(tmp_path: Path) -> None:
    from rdfia_tui.tui.screens.lr_find import LrFindScreen

    engine = FindingEngine()
    app = make_app(tmp_path, engine=engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("L")
        await wait_for(pilot, lambda: isinstance(app.screen, LrFindScreen) and app.screen.done)
        screen = app.screen
        assert len(screen.lrs) == 56 and engine.asked == [("circles-mlp", LrRange().steps)]
        report = str(screen.report.render())
        assert "suggested lr:" in report and "diverged at lr" in report and "optim.lr 0.3 is" in report
        assert set(screen.marks) == {"suggested", "diverged", "form lr"}
        suggested = screen.suggested
        await pilot.press("a")
        await wait_for(pilot, lambda: app.screen is app.main)
        assert app.main.form.config.optim.lr == pytest.approx(float(f"{suggested:.3g}"))
        titles = [c.title for c in app.get_system_commands(app.main)]
        assert sum(t.startswith("Find lr") for t in titles) == 1 and sum(t.startswith("In words") for t in titles) == 1


def test_marks_at_one_lr_share_a_label_and_labels_get_their_own_rows() -> None:
    from rdfia_tui.tui.screens.lr_find import mark_labels, right_half

    labels = mark_labels({"suggested": 0.3, "diverged": 5.0, "form lr": 0.3}, [1e-5, 10.0])
    assert labels == [("suggested = form lr", 0.3, 0), ("diverged", 5.0, 1), ("", 0.3, 0)]
    assert right_half(5.0, [1e-5, 10.0]) and not right_half(1e-4, [1e-5, 10.0])  # "diverged" ends at its line, not cut


async def test_at_80x24_the_dialog_scrolls_to_its_last_line(tmp_path: Path) -> None:
    from textual.containers import VerticalScroll

    from rdfia_tui.tui.screens.lr_find import LrFindScreen

    app = make_app(tmp_path, engine=FindingEngine())
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        await pilot.press("L")
        await wait_for(pilot, lambda: isinstance(app.screen, LrFindScreen) and app.screen.done)
        body = app.screen.query_one("#lr-find-body", VerticalScroll)
        body.scroll_end(animate=False)
        await wait_for(pilot, lambda: body.scroll_y == body.max_scroll_y > 0)
        report = app.screen.report
        assert "run folder" in str(report.render()) and report.region.bottom <= body.region.bottom


def test_a_blow_up_at_the_end_does_not_flatten_the_text_plot() -> None:
    lrs = [10 ** (-5 + 6 * i / 99) for i in range(100)]
    losses = [2.3 - 2.0 * i / 90 if i < 90 else 0.3 * 3 ** (i - 89) for i in range(99)] + [1.35e4]
    lines = log_plot(lrs, losses, width=60, height=14)
    rows_used = {r for r, line in enumerate(lines[:14]) if "*" in line.split("|", 1)[1]}
    assert len(rows_used) >= 6  # the fall from 2.3 to 0.3 spreads over most rows, not one flat row
    assert "^" in lines[0] and lines[-1].startswith("^: ") and "1.35e+04" in lines[-1]
    assert max(len(line) for line in lines[:-1]) <= 10 + 60


def test_lr_find_text_fits_80_columns_and_an_lr_without_suggestion_is_inconclusive(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["lr-find", "circles-mlp", "--steps", "60", "--runs-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert all(len(line) <= 80 or " " not in line.strip() for line in out.splitlines())  # a path longer than a line: whole
    assert "divergence," in out.split()  # not cut in the middle of the word
    found = read_summary(next(tmp_path.iterdir()))["lr_find"]
    assert found["suggested_lr"] is None and found["rule"] == NO_FALL  # the seeded tanh 2-4-2 network barely moves in 60 steps
    flat = " ".join(out.split())
    assert "inconclusive for optim.lr 0.3" in flat and "× the lr of the lowest loss" not in flat and "--start-lr" in flat


def _curve(losses_by_lr: list[tuple[float, float]]) -> list:
    from rdfia_tui.engine.lr_range import Probe

    return [Probe(i + 1, lr, loss, loss) for i, (lr, loss) in enumerate(losses_by_lr)]


def test_outputs_collapsed_to_chance_at_the_config_lr_are_named_not_called_inconclusive() -> None:
    """The course's lr 2 at batch 512: the loss dips below ln 10, jumps, then sits at ln 10 exactly (a uniform guess)."""
    from rdfia_tui.engine.lr_range import collapse_note, suggest, where_lr_sits

    chance = math.log(10)
    lrs = [10 ** (-3 + 4 * i / 99) for i in range(100)]  # 1e-3 .. 10
    loss = [chance if lr < 0.3 else 2.26 if lr < 0.7 else 2.6 if lr < 0.9 else chance + 0.001 for lr in lrs]
    probes = _curve(list(zip(lrs, loss, strict=True)))
    note = collapse_note(probes, 2.0, 10)
    assert note is not None and "ln 10 = 2.303" in note and "2.260" in note and "collapse to chance (about 10% accuracy)" in note
    found = replace(suggest(probes), collapse=note)
    assert where_lr_sits(2.0, found).startswith("at optim.lr 2 the loss sits at ln 10") and "inconclusive" not in where_lr_sits(2.0, found)
    assert collapse_note(probes, 0.5, 10) is None  # below chance there: learning, not collapsed
    assert collapse_note(probes, 2.0, 3) is None  # ln 3 is not where this curve sits
    flat = _curve([(lr, chance) for lr in lrs])
    assert collapse_note(flat, 2.0, 10) is None  # at chance all along: the test was too short, which is not a collapse
    assert collapse_note(probes, 50.0, 10) is None  # outside the swept range
