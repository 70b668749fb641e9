"""Learning-rate schedules as pure functions of the epoch index t (t = 0 first)."""

from __future__ import annotations

from rdfia_tui.engine.catalog import SCHEDULES
from rdfia_tui.engine.config import ScheduleConfig


def constant(cfg: ScheduleConfig, lr0: float, t: int) -> float:
    """lr_t = lr0 at every epoch: the constant schedule, SGD's default (Q28a)."""
    return lr0


def time_based(cfg: ScheduleConfig, lr0: float, t: int) -> float:
    """Time-based decay lr_t = lr0 / (1 + k·t), k = ``schedule.decay`` (Q28a; the seed's t counts iterations, here t
    counts epochs)."""
    return lr0 / (1.0 + cfg.decay * t)


def step(cfg: ScheduleConfig, lr0: float, t: int) -> float:
    """Step decay lr_t = lr0 · γ^⌊t / step_size⌋, γ = ``schedule.gamma`` (Q28a, whose exponent is printed as
    ⌊epoch / (epochs − drop)⌋; the usual form, ⌊epoch / epochs_drop⌋, is the one used here)."""
    return lr0 * cfg.gamma ** (t // cfg.step_size)


def exponential(cfg: ScheduleConfig, lr0: float, t: int) -> float:
    """Exponential decay lr_t = lr0 · γ^t, i.e. the seed's lr0 · e^(−k·t) with k = −ln γ, γ = ``schedule.gamma``
    (Q26-27, Q28a)."""
    return lr0 * cfg.gamma**t


def lr_at(cfg: ScheduleConfig, lr0: float, t: int) -> float:
    """The learning rate for training epoch ``t`` (0-based) under schedule ``cfg``: the lr per step of every
    step of that epoch. Raises KeyError for a schedule name not in the catalog (validation refuses one first)."""
    return SCHEDULES.get(cfg.name)(cfg, lr0, t)


def lr_table(cfg: ScheduleConfig, lr0: float, epochs: int) -> list[float]:
    """The learning rate of each planned epoch, for previews and `rdfia-tui schedule`."""
    return [lr_at(cfg, lr0, t) for t in range(epochs)]
