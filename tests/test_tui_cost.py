"""What keeps the console from slowing training: bounded chart points, an in-place status line,
and torch threads chosen by the kind of network (docs/benchmarks.md, UI overhead)."""

from __future__ import annotations

import pytest

from rdfia_tui.engine.presets import load_preset
from rdfia_tui.tui import runner
from rdfia_tui.tui.widgets.charts import decimate
from rdfia_tui.tui.widgets.status import StatusLine, progress_bar


def test_decimate_bounds_the_points_and_keeps_their_means() -> None:
    xs = [i / 1000 for i in range(10_000)]
    ys = [(i % 7) * 0.5 for i in range(10_000)]
    px, py = decimate(xs, ys, 80)
    assert len(px) == len(py) == 80
    assert px == sorted(px) and px[0] < 0.1 and px[-1] > 9.9
    assert sum(py) / len(py) == pytest.approx(sum(ys) / len(ys), rel=1e-3)


def test_decimate_leaves_short_series_alone() -> None:
    xs, ys = [0.0, 1.0, 2.0], [3.0, 2.0, 1.0]
    assert decimate(xs, ys, 80) == (xs, ys)


def test_progress_bar_fills_with_the_fraction() -> None:
    assert progress_bar(0, 10, width=10) == "╺" + "─" * 9 + "   0%"
    assert progress_bar(5, 10, width=10) == "━" * 5 + "╺" + "─" * 4 + "  50%"
    assert progress_bar(10, 10, width=10) == "━" * 10 + " 100%"


def test_status_line_renders_state_bar_and_details() -> None:
    line = StatusLine()
    line.show_progress(3, 10, 50, 100, 2135.4, 75, "cpu")
    text = line.render().plain
    assert line.epoch_text == "epoch 3/10"
    assert text.startswith("epoch 3/10  ━━━━━━━━━━━━") and "50%" in text
    assert "2,135 img/s" in text and "ETA 01:15" in text and text.endswith("cpu")


@pytest.mark.parametrize(("preset", "expected"), [("cifar10-convnet", 4), ("mnist-mlp", 3), ("circles-mlp", 3)])
def test_console_threads_follow_the_network(monkeypatch: pytest.MonkeyPatch, preset: str, expected: int) -> None:
    monkeypatch.setattr(runner.os, "cpu_count", lambda: 4)
    assert runner.ui_threads(load_preset(preset)) == expected
