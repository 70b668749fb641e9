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
OPTIONAL = frozenset({"resumed", "per_class_test_acc", "diverged_at"})


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
    data: dict[str, Any] = field(default_factory=dict)  # what loading found, used, skipped and converted
    data_fingerprint: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    test_confusion: list[list[list[int]]] = field(default_factory=list)  # one K×K matrix per epoch (true × predicted)
    lr_changes: list[dict[str, float]] = field(default_factory=list)  # set by hand: epoch, step, lr
    resumed: list[dict[str, float]] | None = None
    per_class_test_acc: dict[str, float | None] | None = None
    diverged_at: dict[str, Any] | None = None

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
    return summary


class SummaryUnreadable(RecordError):
    """summary.json cannot be read; ``reason`` says why in a few words."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path.parent}: {reason}")
        self.path, self.reason = path, reason
