"""What keeps the console from slowing training: bounded chart points, an in-place status line,
and torch threads chosen by the kind of network (docs/benchmarks.md, UI overhead)."""

from __future__ import annotations

import pytest

from rdfia_tui.engine.presets import load_preset
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


@pytest.mark.parametrize(
    ("preset", "overrides", "console", "expected"),
    [
        ("cifar10-convnet", [], True, 4),
        ("cifar10-convnet", [], False, 4),
        ("circles-mlp", [], False, 1),
        ("circles-mlp", [], True, 1),
        ("mnist-mlp", [], True, 1),  # 7.6e6 multiply-accumulates per step: one thread
        ("mnist-mlp", ["model.hidden=1000", "train.batch_size=256"], True, 3),  # 6e8: every core but the console's
        ("mnist-mlp", ["model.hidden=1000", "train.batch_size=256"], False, 4),
    ],
)
def test_threads_follow_the_work_per_step(preset: str, overrides: list[str], console: bool, expected: int) -> None:
    from rdfia_tui.engine.config import apply_overrides
    from rdfia_tui.engine.layers import describe
    from rdfia_tui.engine.models import build_model
    from rdfia_tui.engine.speed import auto_threads

    cfg = apply_overrides(load_preset(preset), overrides)
    shape = {"cifar10-convnet": (3, 32, 32), "mnist-mlp": (1, 28, 28), "circles-mlp": (2,)}[preset]
    table = describe(build_model(cfg.model, shape, 10 if preset != "circles-mlp" else 2), shape)
    assert auto_threads(table, cfg.train.batch_size, 800, cores=4, console=console) == expected
