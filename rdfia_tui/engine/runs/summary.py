"""summary.json: one typed record of a run, and the one reader of the file.

The JSON keys are the field names, in this order. ``resumed``, ``per_class_test_acc`` and
``diverged_at`` are left out until they have a value, as before this type existed, so old run
folders and new ones read the same. Accuracies are fractions 0-1, durations seconds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from rdfia_tui.engine.errors import RecordError
from rdfia_tui.engine.runs.files import json_safe
from rdfia_tui.engine.runs.status import RunStatus

SUMMARY = "summary.json"
OPTIONAL = frozenset({"resumed", "per_class_test_acc", "diverged_at", "lr_find", "early_stop"})


@dataclass
class RunSummary:
    """Everything summary.json holds about one run."""

    status: RunStatus
    message: str
    preset: str
    run_dir: str
    config: dict[str, Any]
    params: int | None
    layers: dict[str, Any]
    epochs: list[dict[str, Any]]  # EpochMetrics as dicts, one per recorded epoch (0 = before training)
    epochs_completed: int
    final_test_acc: float | None
    best_test_acc: float | None
    best_epoch: int | None
    duration_s: float
    started_at: str
    finished_at: str | None
    device: str
    seed: int
    sizes: dict[str, int]  # examples in train, val and test
    class_names: list[str]
    versions: dict[str, str]
    pid: int
    host: str
    speed: dict[str, Any] = field(default_factory=dict)
    world: dict[str, Any] = field(default_factory=dict)  # world_size and backend ("none" for one process)
    data: dict[str, Any] = field(default_factory=dict)  # what loading found, used, skipped and converted
    data_fingerprint: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    test_confusion: list[list[list[int]]] = field(default_factory=list)  # one K×K matrix per epoch (true × predicted)
    lr_changes: list[dict[str, float]] = field(default_factory=list)  # set by hand: epoch, step, lr
    resumed: list[dict[str, float]] | None = None
    per_class_test_acc: dict[str, float | None] | None = None
    diverged_at: dict[str, Any] | None = None
    lr_find: dict[str, Any] | None = None  # an lr range test's range and suggestion (engine.lr_find); such a run trains no epoch
    early_stop: dict[str, Any] | None = None  # with train.early_stop_patience: metric, best epoch and value, why it stopped

    def to_json(self) -> dict[str, Any]:
        """The summary.json mapping: NaN as null, the optional keys only when set."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        return json_safe({k: v for k, v in out.items() if not (k in OPTIONAL and v is None)})


def read_summary(run_dir: Path) -> dict[str, Any]:
    """The summary.json mapping of ``run_dir`` (keys as written, an old folder's too).

    Raises SummaryUnreadable (a RecordError) naming why: missing, unreadable, not JSON, not a mapping.
    """
    path = Path(run_dir) / SUMMARY
    try:
        with open(path, encoding="utf-8") as fh:
            summary = json.load(fh)
    except OSError as exc:
        raise SummaryUnreadable(path, f"{SUMMARY}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise SummaryUnreadable(path, f"{SUMMARY} is not valid JSON ({str(exc).split(':')[0]})") from None
    if not isinstance(summary, dict):
        raise SummaryUnreadable(path, f"{SUMMARY} does not hold a run summary")
    problem = field_problem(summary)
    if problem:
        raise SummaryUnreadable(path, f"{SUMMARY}: {problem}")
    return summary


Number = (int, float)
# What the readers of a summary rely on, key by key: the types a value may have when the key is there.
FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "status": (str,),
    "message": (str,),
    "preset": (str,),
    "config": (dict,),
    "epochs": (list,),
    "epochs_completed": (int,),
    "final_test_acc": (*Number, type(None)),
    "best_test_acc": (*Number, type(None)),
    "best_epoch": (int, type(None)),
    "duration_s": (*Number, type(None)),
    "started_at": (str, type(None)),
    "lr_changes": (list,),
}
REQUIRED = ("status", "config")
WRITTEN = frozenset(s.value for s in RunStatus if s not in (RunStatus.LOST, RunStatus.UNREADABLE))


def field_problem(summary: dict[str, Any]) -> str | None:
    """What makes ``summary`` unusable, in a few words, or None: a missing required key, a value of the
    wrong type (a bool is no number here), an unknown status, or an epoch or lr change that is not a table."""
    for key in REQUIRED:
        if key not in summary:
            return f"no {key!r}"
    for key, types in FIELD_TYPES.items():
        value = summary.get(key)
        if key in summary and (isinstance(value, bool) or not isinstance(value, types)):
            return f"{key} is {json.dumps(value)[:40]}, not {_described(types)}"
    sections = [name for name, table in summary["config"].items() if name not in ("name", "description") and not isinstance(table, dict)]
    if sections:
        return f"config.{sections[0]} is not a table"
    if summary["status"] not in WRITTEN:
        return f"status {summary['status']!r} is not one of {', '.join(sorted(WRITTEN))}"
    for key in ("epochs", "lr_changes"):
        if not all(isinstance(row, dict) for row in summary.get(key, [])):
            return f"{key} holds an entry that is not a table"
    return None


_TYPE_WORDS = {str: "text", dict: "a table", list: "a list", int: "a whole number", float: "a number", type(None): "null"}


def _described(types: tuple[type, ...]) -> str:
    words = [_TYPE_WORDS[t] for t in types if not (t is int and float in types)]
    return " or ".join(words)


class SummaryUnreadable(RecordError):
    """summary.json cannot be read; ``reason`` says why in a few words."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path.parent}: {reason}")
        self.path, self.reason = path, reason
