"""A lesson with its quantities computed: what the console's Lesson tab, ``rdfia-tui lesson`` and reports show.

``lesson_view(cfg, epochs)`` is torch-free and fast (a layer plan, a few formulas), so the console recomputes it on
every form change and every epoch.
"""

from __future__ import annotations

from collections.abc import Sequence

from rdfia_tui.engine.config import RunConfig
from rdfia_tui.engine.events import EpochMetrics
from rdfia_tui.engine.lessons.blocks import Block, Check, LessonView, RunFacts
from rdfia_tui.engine.lessons.quantities import DEFAULT_SHOW, LessonContext, compute

__all__ = ["Block", "Check", "LessonView", "RunFacts", "lesson_view"]


def lesson_view(cfg: RunConfig, epochs: Sequence[EpochMetrics] = (), facts: RunFacts | None = None) -> LessonView:
    """The lesson of ``cfg`` with every quantity it shows computed from ``cfg`` and, where it needs a run, from
    ``epochs`` (metrics.csv's rows or the console's EpochEnded metrics). A preset without a lesson gets the
    quantities that suit its network (DEFAULT_SHOW)."""
    context = LessonContext.build(cfg, tuple(epochs), facts or RunFacts())
    names = cfg.lesson.show if cfg.lesson is not None and cfg.lesson.show else DEFAULT_SHOW[cfg.model.arch]
    return LessonView(cfg.name, cfg.lesson, tuple(compute(name, context) for name in names))
