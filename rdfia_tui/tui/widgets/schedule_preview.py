"""The learning rate the form's schedule will use at each planned epoch, drawn before training."""

from __future__ import annotations

from collections.abc import Callable

from rdfia_tui.engine.config import RunConfig, ScheduleConfig
from rdfia_tui.engine.schedules import lr_table
from rdfia_tui.tui.widgets.charts import SeriesChart

# A short caption per schedule name; an unknown (newly registered) schedule shows its name.
CAPTIONS: dict[str, Callable[[ScheduleConfig], str]] = {
    "constant": lambda s: "constant",
    "time": lambda s: f"time k={s.decay:g}",
    "step": lambda s: f"step ×{s.gamma:g}/{s.step_size}",
    "exponential": lambda s: f"exp ×{s.gamma:g}",
    "onecycle": lambda s: f"1cycle up {s.warmup:g}",
}

Plan = tuple[ScheduleConfig, float, int]


class SchedulePreview(SeriesChart):
    """``planned``: epoch k (1-based, as the run counts) against lr_at(k - 1); during a run, ``used``:
    the learning rate each finished epoch ended with, which shows a change made by hand (``l``)."""

    DEFAULT_CSS = """
    SchedulePreview { height: 12; min-height: 6; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("lr", id=id)
        self.plan: Plan | None = None
        """The (schedule, lr0, epochs) drawn now."""

    def show(self, cfg: RunConfig) -> bool:
        """Draw ``cfg``'s plan; True when it differs from the one drawn before."""
        plan: Plan = (cfg.schedule, cfg.optim.lr, cfg.train.epochs)
        if plan == self.plan:
            return False
        self.plan = plan
        lrs = lr_table(cfg.schedule, cfg.optim.lr, cfg.train.epochs)
        self.series.clear()
        self.set_series("planned", list(range(1, len(lrs) + 1)), lrs)
        self.caption = CAPTIONS.get(cfg.schedule.name, lambda s: s.name)(cfg.schedule) if lrs else "no epochs"
        self._scale()
        return True

    def form_invalid(self) -> None:
        """The form cannot be read: the plan drawn stays, captioned as the last valid one (redrawn once the form is)."""
        if self.plan is not None:
            self.caption = "last valid · form has an error"
            self.plan = None
            self._dirty = True

    def used(self, epoch: int, lr: float) -> None:
        """The lr a finished epoch ended with (epoch 0, before training, has none)."""
        if epoch >= 1:
            self.append("used", epoch, lr)
            self._scale()

    def clear_used(self) -> None:
        self.series.pop("used", None)
        self._scale()

    def _scale(self) -> None:
        # from zero, so a constant schedule reads as a flat line and a decay shows its true size
        values = [y for _, ys in self.series.values() for y in ys]
        self.ylim = (0.0, 1.05 * max(values)) if values else None
        self._dirty = True

    @property
    def values(self) -> list[float]:
        return [lr for _, lr in self.points("planned")]
