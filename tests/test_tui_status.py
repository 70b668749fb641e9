"""The status line tells only what is true now, and never clips."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tui_fakes import ScriptedEngine, wait_for

from rdfia_tui.engine.config import apply_overrides
from rdfia_tui.engine.events import BatchProgress, EvaluationProgress, Patience
from rdfia_tui.engine.presets import load_preset
from rdfia_tui.engine.training import fit
from rdfia_tui.tui.app import create_app
from rdfia_tui.tui.options import AppOptions
from rdfia_tui.tui.widgets.status import StatusLine


def progressing() -> StatusLine:
    line = StatusLine()
    line.show_progress(3, 20, 50, 100, 3326.4, 75, "cpu (Intel(R) Xeon(R) Processor)", "GPU 1,234 MiB")
    return line


@pytest.mark.parametrize("width", [120, 80, 60, 40, 24])
def test_the_line_fits_any_width_keeping_the_most_important_parts(width: int) -> None:
    text = progressing().fit(width).plain
    assert len(text) <= width
    assert text.startswith("epoch 3/20")
    if width >= 80:
        assert "3,326 img/s" in text and "ETA 01:15" in text  # never "ETA" without its value
    for part in ("ETA", "img/s"):
        if part in text:
            assert ("ETA 01:15" if part == "ETA" else "3,326 img/s") in text


def early_stopping() -> StatusLine:
    """A long run with early stopping, as a console attached to it shows it."""
    line = StatusLine()
    line.set_patience(Patience("val_acc", 2, 5, 12, 0.712))
    line.show_progress(24, 150, 530, 1000, 454.0, 2176, "cpu (Intel(R) Xeon(R) Processor)", "GPU 1,234 MiB", 0.1)
    return line


# 50, 62 and 75 are the status line's width in an 80, 100 and 120 column console with the form shown
@pytest.mark.parametrize("width", [160, 114, 100, 80, 75, 62, 50, 40, 30])
def test_the_early_stopping_counter_outranks_the_bar_and_the_rate(width: int) -> None:
    text = early_stopping().fit(width).plain
    assert len(text) <= width and text.startswith("epoch 24/150") and "…" not in text
    assert re.search(r"\bpat(ience)? 2/5\b", text), text  # a short form on a narrow screen, never gone
    if width >= 62:
        assert "patience 2/5, best 71.2%" in text and "ETA 36:16" in text
    if "img/s" in text:  # the rate gives way before any of the counter
        assert "patience 2/5, best 71.2% at epoch 12" in text


def test_the_counter_takes_its_place_on_an_already_shown_line() -> None:
    line = early_stopping()
    line.set_patience(Patience("val_acc", 3, 5, 12, 0.712))
    assert "patience 3/5, best 71.2% at epoch 12" in line.fit(160).plain and "2/5" not in line.fit(160).plain
    line.pause()
    assert "img/s" not in line.fit(160).plain and "patience 3/5" in line.fit(160).plain


def test_a_finished_or_refused_run_keeps_no_figures() -> None:
    line = progressing()
    line.set_state("stopped (7/20 epochs)")
    assert line.fit(120).plain == "stopped (7/20 epochs)"  # no bar, no rate, no countdown
    line.set_state("refused: see the log")
    assert "img/s" not in line.fit(120).plain and "%" not in line.fit(120).plain


def test_evaluation_is_shown_as_evaluation() -> None:
    line = StatusLine()
    line.show_evaluation(4, 20, "test", 3000, 10000, 12000.0, "cpu")
    text = line.fit(120).plain
    assert text.startswith("epoch 4/20 · evaluating test") and "30%" in text and "12,000 img/s" in text and "ETA" not in text


def test_the_eta_counts_the_evaluation(runs_dir: Path) -> None:
    """At the last step of the last epoch no training is left, but the final evaluation is: the ETA is not 0."""
    events: list = []
    cfg = apply_overrides(load_preset("circles-mlp"), ["train.epochs=3", "train.device=cpu", "train.progress_interval=0.000001"])
    fit(cfg, events.append, runs_dir=runs_dir)
    last = [e for e in events if isinstance(e, BatchProgress) and e.epoch == 3][-1]
    assert last.step == last.steps
    assert 0 < last.eta_s < 5  # one evaluation of 200 + 500 points
    assert any(isinstance(e, EvaluationProgress) for e in events)


async def test_the_console_shows_evaluating_and_then_only_the_outcome(tmp_path: Path) -> None:
    engine = ScriptedEngine(steps=5, step_delay=0.01)
    app = create_app(AppOptions(runs_dir=tmp_path / "runs", overrides=["train.epochs=2"]), engine=engine)
    seen: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.main.form.config is not None)
        app.main.status_line.show_evaluation(1, 2, "val", 10, 100, 50.0, "cpu")
        seen.append(app.main.status_line.text)
        await pilot.press("s")
        await wait_for(pilot, lambda: not app.running and app.last_status == "completed")
        seen.append(app.main.status_line.text)
    assert seen[0].startswith("epoch 1/2 · evaluating val")
    assert seen[1] == "finished (2/2 epochs)"
