"""Curve smoothing (engine/smoothing.py), the chart settings file, and the log-axis and cursor maths of the charts."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from rdfia_tui.engine.smoothing import RunningEma, Smoothing, band, ema, running, window_mean
from rdfia_tui.tui.chart_settings import ChartSettings, load_settings, save_settings, settings_path
from rdfia_tui.tui.widgets.chart_view import keep_positive, log_ticks, step_cursor, value_at

SERIES = [2.30, 1.90, 2.05, 1.40, 1.62, 1.10, 1.35, 0.90, 1.05, 0.70]


def reference_ema(values: list[float], w: float) -> list[float]:
    """Written from the definition: s_n = sum_k w^(n-k) (1-w) v_k, divided by sum_k w^(n-k) (1-w) = 1 - w^n."""
    out = []
    for n in range(1, len(values) + 1):
        weights = [(1 - w) * w ** (n - k) for k in range(1, n + 1)]
        out.append(sum(wk * v for wk, v in zip(weights, values[:n], strict=True)) / sum(weights))
    return out


@pytest.mark.parametrize("weight", [0.0, 0.6, 0.9, 0.99])
def test_ema_is_the_debiased_weighted_mean_of_the_past(weight: float) -> None:
    assert ema(SERIES, weight) == pytest.approx(reference_ema(SERIES, weight), rel=1e-12)
    assert ema(SERIES, weight)[0] == pytest.approx(SERIES[0])  # no pull towards 0 at the start


def test_ema_passes_non_finite_values_through_without_spoiling_the_average() -> None:
    with_gap = [*SERIES[:3], math.nan, *SERIES[3:]]
    out = ema(with_gap, 0.6)
    assert math.isnan(out[3])
    assert [*out[:3], *out[4:]] == pytest.approx(ema(SERIES, 0.6))


def test_running_ema_agrees_with_ema() -> None:
    running = RunningEma(0.9)
    assert [running.add(v) for v in SERIES] == pytest.approx(ema(SERIES, 0.9))


def test_window_mean_and_band_use_the_last_points_only() -> None:
    means = window_mean(SERIES, 3)
    assert means[0] == SERIES[0] and means[1] == pytest.approx((SERIES[0] + SERIES[1]) / 2)
    assert means[5:] == pytest.approx([sum(SERIES[i - 2 : i + 1]) / 3 for i in range(5, len(SERIES))])
    low, high = band(SERIES, 3)
    assert low[4] == min(SERIES[2:5]) and high[4] == max(SERIES[2:5])


@pytest.mark.parametrize(("call", "message"), [(lambda: ema(SERIES, 1.0), "weight"), (lambda: window_mean(SERIES, 0), "window")])
def test_impossible_parameters_say_so(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_smoothing_modes_by_name() -> None:
    assert Smoothing("off").apply(SERIES) == SERIES
    assert Smoothing("ema", weight=0.6).apply(SERIES) == ema(SERIES, 0.6)
    assert Smoothing("mean", window=5).apply(SERIES) == window_mean(SERIES, 5)
    assert Smoothing("ema", weight=0.9).label == "EMA 0.9" and Smoothing("mean", window=5).band_window() == 5
    assert Smoothing("ema", weight=0.8).band_window() == 5  # the EMA's time constant, 1 / (1 - w)


@pytest.mark.parametrize("smoothing", [Smoothing("off"), Smoothing("ema", weight=0.9), Smoothing("mean", window=3)])
def test_running_smoothing_agrees_with_apply(smoothing: Smoothing) -> None:
    add = running(smoothing)
    assert [add(v) for v in SERIES] == pytest.approx(smoothing.apply(SERIES))


def test_the_band_of_a_rising_series_leaves_its_first_value_after_the_window() -> None:
    """An EMA's band is taken over its span, not its whole memory: on accuracy rising 8% -> 97% the low edge
    leaves the epoch-0 value once the window has passed."""
    accuracy = [8.0, 90.0, 93.0, 94.5, 95.5, 96.0, 96.4, 96.7, 96.9, 97.0, 97.1]
    window = Smoothing("ema", weight=0.8).band_window()
    low, high = band(accuracy, window)
    assert low[: window] == [8.0] * window and low[window] > 8.0
    assert low[-1] == min(accuracy[-window:]) and high == pytest.approx([max(accuracy[: i + 1]) for i in range(len(accuracy))])


def test_settings_file_round_trips_under_xdg_config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert settings_path() == tmp_path / "rdfia-tui" / "charts.json"
    assert load_settings() == (ChartSettings(), [])  # none yet: the defaults, nothing to say
    chosen = ChartSettings(palette="okabe-ito", smoothing=Smoothing("mean", window=9), band=True)
    assert save_settings(chosen) is None
    assert load_settings() == (chosen, [])
    assert not [p for p in (tmp_path / "rdfia-tui").iterdir() if p.name != "charts.json"]  # no temporary file left


@pytest.mark.parametrize(
    ("text", "said"),
    [("{not json", "unreadable"), ("[1]", "not a JSON object")],
)
def test_an_unreadable_settings_file_is_one_note_and_the_defaults(tmp_path: Path, text: str, said: str) -> None:
    path = tmp_path / "charts.json"
    path.write_text(text)
    settings, notes = load_settings(path)
    assert settings == ChartSettings()
    assert len(notes) == 1 and said in notes[0] and str(path) in notes[0] and "defaults" in notes[0]


def test_each_wrong_value_in_the_settings_is_named_with_the_value_used_in_one_note(tmp_path: Path) -> None:
    path = tmp_path / "charts.json"
    doc = {"palette": "neon", "smoothing": {"mode": "fancy", "weight": 7, "window": 9, "span": 2}, "band": "yes", "colour": 1}
    path.write_text(json.dumps(doc))
    settings, notes = load_settings(path)
    assert settings == ChartSettings(smoothing=Smoothing(window=9))  # the one valid value is kept
    expected = ["palette 'neon'", "smoothing.mode 'fancy'", "smoothing.weight 7", "band 'yes'", "'colour'", "'smoothing.span'"]
    (note,) = notes  # one line: a short event log shows it whole
    assert str(path) in note and note.count(";") >= len(expected) - 1
    for said in expected:
        assert said in note
    assert 'using "default"' in str(notes) and 'using "off"' in str(notes) and "using 0.6" in str(notes) and "using false" in str(notes)


def test_log_ticks_are_round_and_cover_the_range() -> None:
    assert log_ticks(0.03, 0.9) == [0.02, 0.05, 0.1, 0.2, 0.5, 1.0]
    assert log_ticks(0.03, 2.3) == [0.01, 0.1, 1.0, 10.0]  # 1-2-5 would take 8 ticks: whole decades
    wide = log_ticks(1e-6, 10.0)
    assert wide[0] <= 1e-6 and wide[-1] >= 10 and len(wide) <= 7
    assert log_ticks(0.3, 0.5) == []  # too few round ticks: the caller spaces them evenly


def test_log_axes_drop_non_positive_points_and_count_them() -> None:
    assert keep_positive([0, 1, 2], [0.5, -1.0, 2.0], log_x=True, log_y=True) == ([2], [2.0], 2)
    assert keep_positive([0, 1], [0.5, 1.0], log_x=False, log_y=False) == ([0, 1], [0.5, 1.0], 0)


def test_cursor_steps_and_follows_again_past_the_end() -> None:
    epochs = [0.0, 1.0, 2.0, 3.0]
    assert step_cursor(epochs, None, -1) == 2.0
    assert step_cursor(epochs, 2.0, -5) == 0.0
    assert step_cursor(epochs, 2.0, 1) is None
    assert value_at([0.5, 1.0, 1.5], [3.0, 2.0, 1.0], 1.2, exact=False) == 2.0
    assert value_at([0.0, 1.0], [3.0, 2.0], 0.5, exact=True) is None
