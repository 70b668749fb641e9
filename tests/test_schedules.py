"""Learning-rate schedules: lr_at against the formulas, lr_table and the shape of each curve."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rdfia_tui.engine.catalog import SCHEDULES, STEPPED_SCHEDULES
from rdfia_tui.engine.config import ScheduleConfig, apply_overrides
from rdfia_tui.engine.presets import load_preset
from rdfia_tui.engine.schedules import lr_at, lr_table

NAMES = ("constant", "time", "step", "exponential")


def expected_lr(name: str, lr0: float, t: int, *, decay: float = 0.1, step_size: int = 10, gamma: float = 0.95) -> float:
    """The formulas of the labs, written out here rather than taken from the engine."""
    if name == "constant":
        return lr0
    if name == "time":
        return lr0 / (1 + decay * t)
    if name == "step":
        return lr0 * gamma ** math.floor(t / step_size)
    if name == "exponential":
        return lr0 * gamma**t
    raise AssertionError(name)


def test_the_engine_offers_the_four_per_epoch_schedules_and_the_stepped_ones() -> None:
    assert set(SCHEDULES.names()) == set(NAMES) | set(STEPPED_SCHEDULES) and not set(NAMES) & set(STEPPED_SCHEDULES)


# Values worked out by hand.
@pytest.mark.parametrize(
    ("cfg", "lr0", "t", "lr"),
    [
        (ScheduleConfig(name="constant"), 0.3, 0, 0.3),
        (ScheduleConfig(name="constant"), 0.3, 1000, 0.3),
        (ScheduleConfig(name="time", decay=0.1), 0.1, 10, 0.05),
        (ScheduleConfig(name="time", decay=1.0), 1.0, 3, 0.25),
        (ScheduleConfig(name="time", decay=0.0), 0.2, 50, 0.2),
        (ScheduleConfig(name="step", step_size=3, gamma=0.5), 0.1, 2, 0.1),
        (ScheduleConfig(name="step", step_size=3, gamma=0.5), 0.1, 3, 0.05),
        (ScheduleConfig(name="step", step_size=3, gamma=0.5), 0.1, 7, 0.025),
        (ScheduleConfig(name="step", step_size=1, gamma=0.1), 1.0, 4, 1e-4),
        (ScheduleConfig(name="exponential", gamma=0.5), 1.0, 3, 0.125),
        (ScheduleConfig(name="exponential", gamma=0.9), 0.1, 2, 0.081),
        (ScheduleConfig(name="exponential", gamma=1.0), 0.7, 99, 0.7),
    ],
)
def test_lr_at_known_values(cfg: ScheduleConfig, lr0: float, t: int, lr: float) -> None:
    assert lr_at(cfg, lr0, t) == pytest.approx(lr, rel=1e-12)


@settings(max_examples=200, deadline=None)
@given(
    name=st.sampled_from(NAMES),
    lr0=st.floats(min_value=1e-6, max_value=10.0),
    t=st.integers(min_value=0, max_value=300),
    decay=st.floats(min_value=0.0, max_value=10.0),
    step_size=st.integers(min_value=1, max_value=50),
    gamma=st.floats(min_value=0.01, max_value=1.5),
)
def test_lr_at_follows_the_formula(name: str, lr0: float, t: int, decay: float, step_size: int, gamma: float) -> None:
    cfg = ScheduleConfig(name=name, decay=decay, step_size=step_size, gamma=gamma)
    got = lr_at(cfg, lr0, t)
    want = expected_lr(name, lr0, t, decay=decay, step_size=step_size, gamma=gamma)
    assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-300)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("lr0", [1e-4, 0.1, 0.3, 2.0])
def test_t_zero_gives_lr0(name: str, lr0: float) -> None:
    cfg = ScheduleConfig(name=name, decay=0.7, step_size=1, gamma=0.3)
    assert lr_at(cfg, lr0, 0) == lr0


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("epochs", [0, 1, 7, 30])
def test_lr_table_has_one_rate_per_epoch(name: str, epochs: int) -> None:
    cfg = ScheduleConfig(name=name, decay=0.2, step_size=4, gamma=0.8)
    table = lr_table(cfg, 0.05, epochs)
    assert len(table) == epochs
    for t, lr in enumerate(table):
        assert lr == pytest.approx(expected_lr(name, 0.05, t, decay=0.2, step_size=4, gamma=0.8), rel=1e-12)


@settings(max_examples=50, deadline=None)
@given(
    step_size=st.integers(min_value=1, max_value=12),
    gamma=st.floats(min_value=0.05, max_value=0.99),
    windows=st.integers(min_value=1, max_value=6),
)
def test_step_schedule_is_flat_within_a_window_and_drops_by_gamma_between(step_size: int, gamma: float, windows: int) -> None:
    cfg = ScheduleConfig(name="step", step_size=step_size, gamma=gamma)
    table = lr_table(cfg, 1.0, step_size * windows)
    for k in range(windows):
        window = table[k * step_size : (k + 1) * step_size]
        assert len(set(window)) == 1, f"window {k} is not constant: {window}"
        if k:
            assert window[0] == pytest.approx(table[(k - 1) * step_size] * gamma, rel=1e-12)


@pytest.mark.parametrize("name", ["time", "step", "exponential"])
def test_decaying_schedules_never_increase(name: str) -> None:
    cfg = ScheduleConfig(name=name, decay=0.5, step_size=2, gamma=0.9)
    table = lr_table(cfg, 0.1, 40)
    assert all(b <= a for a, b in itertools.pairwise(table))
    assert table[-1] < table[0]
    assert all(lr > 0 for lr in table)


def test_time_schedule_halves_after_one_over_decay_epochs() -> None:
    cfg = ScheduleConfig(name="time", decay=0.25)
    assert lr_at(cfg, 0.4, 4) == pytest.approx(0.2)
    assert lr_at(cfg, 0.4, 12) == pytest.approx(0.1)


def test_schedule_from_overrides_drives_lr_at() -> None:
    cfg = apply_overrides(load_preset("circles-mlp"), ["schedule.name=exponential", "schedule.gamma=0.5"])
    assert lr_table(cfg.schedule, cfg.optim.lr, 4) == pytest.approx([0.3, 0.15, 0.075, 0.0375])
