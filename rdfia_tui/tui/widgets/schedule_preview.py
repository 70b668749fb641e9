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
}

Plan = tuple[ScheduleConfig, float, int]


class SchedulePreview(SeriesChart):
    """One series, ``lr``: epoch k (1-based, as the run counts) against lr_at(k - 1)."""

    DEFAULT_CSS = """
    SchedulePreview { height: 12; min-height: 6; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("lr", id=id)
        self.legend = False
        self.plan: Plan | None = None
        """The (schedule, lr0, epochs) drawn now."""

    def show(self, cfg: RunConfig) -> bool:
        """Draw ``cfg``'s plan; True when it differs from the one drawn before."""
        plan: Plan = (cfg.schedule, cfg.optim.lr, cfg.train.epochs)
        if plan == self.plan:
            return False
        self.plan = plan
        lrs = lr_table(cfg.schedule, cfg.optim.lr, cfg.train.epochs)
        self.set_series("lr", list(range(1, len(lrs) + 1)), lrs)
        self.caption = CAPTIONS.get(cfg.schedule.name, lambda s: s.name)(cfg.schedule) if lrs else "no epochs"
        # from zero, so a constant schedule reads as a flat line and a decay shows its true size
        self.ylim = (0.0, 1.05 * max(lrs)) if lrs else None
        return True

    def _draw(self) -> None:
        super()._draw()
        # whole epochs on x, and three round labels on y: the chart is narrow
        epochs = len(self.values)
        if epochs:
            stride = max(1, -(-epochs // 4))
            self.plt.xticks(list(range(1, epochs + 1, stride)))
        if self.ylim:
            top = self.ylim[1] / 1.05
            self.plt.yticks([0.0, top / 2, top], ["0", f"{top / 2:.3g}", f"{top:.3g}"])

    @property
    def values(self) -> list[float]:
        return [lr for _, lr in self.points("lr")]
