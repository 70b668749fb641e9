"""A lesson with its quantities computed: what the console's Lesson tab, ``rdfia-tui lesson`` and reports show.

``lesson_view(cfg, epochs)`` is torch-free and fast (a layer plan, a few formulas), so the console recomputes it on
every form change and every epoch.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from rdfia_tui.engine.config import RunConfig
from rdfia_tui.engine.errors import ConfigError
from rdfia_tui.engine.events import EpochMetrics
from rdfia_tui.engine.lessons.blocks import Block, Check, LessonView, RunFacts
from rdfia_tui.engine.lessons.quantities import DEFAULT_SHOW, LessonContext, compute
from rdfia_tui.engine.presets import load_preset, preset_names

__all__ = ["Block", "Check", "LessonView", "RunFacts", "lesson_view"]


def lesson_view(
    cfg: RunConfig, epochs: Sequence[EpochMetrics] = (), facts: RunFacts | None = None, reference: RunConfig | None = None
) -> LessonView:
    """The lesson of ``cfg`` with every quantity it shows computed from ``cfg`` and, where it needs a run, from
    ``epochs`` (metrics.csv's rows or the console's EpochEnded metrics). A preset without a lesson gets the
    quantities that suit its network (DEFAULT_SHOW).

    ``reference`` is the config the lesson was written for (the preset before the form's or --set's changes; by
    default the shipped preset of ``cfg``'s name): the report's figures are checked only against that network."""
    reference = reference if reference is not None else shipped_reference(cfg)
    context = LessonContext.build(cfg, tuple(epochs), facts or RunFacts(), reference)
    names = cfg.lesson.show if cfg.lesson is not None and cfg.lesson.show else DEFAULT_SHOW[cfg.model.arch]
    return LessonView(cfg.name, cfg.lesson, tuple(compute(name, context) for name in names))


@functools.cache
def _shipped(name: str) -> RunConfig | None:
    try:
        return load_preset(name) if name in preset_names() else None
    except ConfigError:
        return None


def shipped_reference(cfg: RunConfig) -> RunConfig | None:
    """The shipped preset ``cfg`` was made from (same name, same lesson), or None."""
    found = _shipped(cfg.name)
    return found if found is not None and found.lesson == cfg.lesson else None
