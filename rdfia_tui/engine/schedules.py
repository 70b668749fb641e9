"""Learning-rate schedules as pure functions of the epoch index t (t = 0 first).

Most schedules hold one lr for a whole epoch (t whole). A schedule named in ``catalog.STEPPED_SCHEDULES`` changes
the lr at every step: the loop asks it for t = epoch − 1 + (step − 1)/steps, a fraction of the way through.
Every schedule takes the run's planned ``epochs`` (train.epochs); only one-cycle uses it.
"""

from __future__ import annotations

from rdfia_tui.engine.catalog import SCHEDULES, STEPPED_SCHEDULES
from rdfia_tui.engine.config import ScheduleConfig

ONECYCLE_START = 1 / 25  # the first step's lr as a fraction of the peak (torch.optim.lr_scheduler.OneCycleLR's div_factor 25)


def constant(cfg: ScheduleConfig, lr0: float, t: float, epochs: int = 0) -> float:
    """lr_t = lr0 at every epoch: the constant schedule, SGD's default (Q28a)."""
    return lr0


def time_based(cfg: ScheduleConfig, lr0: float, t: float, epochs: int = 0) -> float:
    """Time-based decay lr_t = lr0 / (1 + k·t), k = ``schedule.decay`` (Q28a; the seed's t counts iterations, here t
    counts epochs)."""
    return lr0 / (1.0 + cfg.decay * t)


def step(cfg: ScheduleConfig, lr0: float, t: float, epochs: int = 0) -> float:
    """Step decay lr_t = lr0 · γ^⌊t / step_size⌋, γ = ``schedule.gamma`` (Q28a, whose exponent is printed as
    ⌊epoch / (epochs − drop)⌋; the usual form, ⌊epoch / epochs_drop⌋, is the one used here)."""
    return lr0 * cfg.gamma ** (t // cfg.step_size)


def exponential(cfg: ScheduleConfig, lr0: float, t: float, epochs: int = 0) -> float:
    """Exponential decay lr_t = lr0 · γ^t, i.e. the seed's lr0 · e^(−k·t) with k = −ln γ, γ = ``schedule.gamma``
    (Q26-27, Q28a)."""
    return lr0 * cfg.gamma**t


def onecycle(cfg: ScheduleConfig, lr0: float, t: float, epochs: int = 0) -> float:
    """One-cycle, linear form (Smith & Topin 2019, "Super-convergence"; torch's OneCycleLR with linear annealing):
    the lr rises linearly from lr0/25 to the peak lr0 over the first ``schedule.warmup`` fraction of the ``epochs``,
    then falls linearly to 0 at their end. ``t`` is fractional (a stepped schedule). With no epochs (a run of
    train.epochs 0 only measures epoch 0) there is no cycle: the start lr, lr0/25."""
    if epochs <= 0:
        return lr0 * ONECYCLE_START
    rise = cfg.warmup * epochs
    if t < rise:
        return lr0 * (ONECYCLE_START + (1 - ONECYCLE_START) * t / rise)
    return lr0 * max(0.0, (epochs - t) / (epochs - rise))


def lr_at(cfg: ScheduleConfig, lr0: float, t: float, epochs: int = 0) -> float:
    """The learning rate (per step) at epoch ``t`` (0-based) of a run of ``epochs`` under schedule ``cfg``: the lr of
    every step of that epoch, or for a stepped schedule the lr of the epoch's first step (a fractional ``t`` gives the
    lr part-way through). Raises KeyError for a schedule name not in the catalog (validation refuses one first)."""
    return SCHEDULES.get(cfg.name)(cfg, lr0, t, epochs)


def is_stepped(cfg: ScheduleConfig) -> bool:
    """Whether the schedule changes the lr at every step, not once per epoch."""
    return cfg.name in STEPPED_SCHEDULES


def lr_table(cfg: ScheduleConfig, lr0: float, epochs: int) -> list[float]:
    """The learning rate each planned epoch starts with, for previews and `rdfia-tui schedule`."""
    return [lr_at(cfg, lr0, t, epochs) for t in range(epochs)]
