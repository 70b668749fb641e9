"""Learning-rate schedules as pure functions of the epoch index t (t = 0 first)."""

from __future__ import annotations

from rdfia_tui.engine.catalog import SCHEDULES
from rdfia_tui.engine.config import ScheduleConfig


def constant(cfg: ScheduleConfig, lr0: float, t: int) -> float:
    return lr0


def time_based(cfg: ScheduleConfig, lr0: float, t: int) -> float:
    return lr0 / (1.0 + cfg.decay * t)


def step(cfg: ScheduleConfig, lr0: float, t: int) -> float:
    return lr0 * cfg.gamma ** (t // cfg.step_size)


def exponential(cfg: ScheduleConfig, lr0: float, t: int) -> float:
    return lr0 * cfg.gamma**t


def lr_at(cfg: ScheduleConfig, lr0: float, t: int) -> float:
    """The learning rate for training epoch ``t`` (0-based) under schedule ``cfg``."""
    return SCHEDULES.get(cfg.name)(cfg, lr0, t)


def lr_table(cfg: ScheduleConfig, lr0: float, epochs: int) -> list[float]:
    """The learning rate of each planned epoch, for previews and `rdfia-tui schedule`."""
    return [lr_at(cfg, lr0, t) for t in range(epochs)]
