"""A recorded run's lesson: its config.toml (with the lesson it was started with), metrics.csv's epochs and the
split sizes in summary.json, turned into a LessonView. Torch-free."""

from __future__ import annotations

import json
from pathlib import Path

from rdfia_tui.engine.errors import ConfigError
from rdfia_tui.engine.events import EpochMetrics
from rdfia_tui.engine.lessons.view import LessonView, RunFacts, lesson_view
from rdfia_tui.engine.presets import load
from rdfia_tui.engine.runs.record import read_metrics_csv
from rdfia_tui.engine.runs.status import RunStatus


def run_epochs(folder: Path) -> list[EpochMetrics]:
    """metrics.csv's rows as EpochMetrics (epoch 0 first); empty when the run has none yet.

    Raises ConfigError (one line) for a metrics.csv that cannot be read or has other columns.
    """
    path = folder / "metrics.csv"
    if not path.is_file():
        return []
    try:
        return [EpochMetrics(**row) for row in read_metrics_csv(path)]  # type: ignore[arg-type]
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigError(f"{path}: cannot read its epochs ({exc}); is it a run folder of this version?") from None


def run_facts(folder: Path) -> RunFacts:
    """The training split's size and, for a run that has ended, its status, from summary.json (nothing it does not
    say)."""
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return RunFacts()
    if not isinstance(summary, dict):
        return RunFacts()
    sizes = summary.get("sizes")
    n_train = sizes.get("train") if isinstance(sizes, dict) else None
    status = summary.get("status")
    ended = status if isinstance(status, str) and status != RunStatus.RUNNING.value else ""
    return RunFacts(n_train=n_train if isinstance(n_train, int) else 0, ended=ended)


def run_lesson(folder: Path) -> LessonView:
    """The lesson of the run in ``folder`` with its measured values. Raises ConfigError (one line) when its
    config.toml is missing or invalid."""
    config = folder / "config.toml"
    if not config.is_file():
        raise ConfigError(f"{folder} has no config.toml; give a run folder that 'rdfia-tui runs' lists")
    return lesson_view(load(config), run_epochs(folder), run_facts(folder))
