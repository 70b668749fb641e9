"""Sweep records: each point's result read from its run, and sweep.json and sweep.csv, written atomically."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rdfia_tui.engine.errors import RecordError
from rdfia_tui.engine.runs.files import atomic_write, json_safe
from rdfia_tui.engine.runs.listing import list_runs
from rdfia_tui.engine.runs.status import RunStatus

SWEEP_JSON = "sweep.json"
SWEEP_CSV = "sweep.csv"
# Within 1.5 accuracy points of 1/n_classes: the network learnt nothing.
CHANCE_MARGIN = 0.015


@dataclass(frozen=True)
class PointResult:
    """What became of one point of a sweep; ``run_dir`` is the run's folder name inside the sweep folder."""

    status: str = "pending"
    run_dir: str | None = None
    message: str = ""
    final_test_acc: float | None = None
    best_test_acc: float | None = None
    best_epoch: int | None = None
    final_train_acc: float | None = None
    epochs_completed: int = 0
    duration_s: float | None = None
    at_chance: bool = False

    @property
    def diverged(self) -> bool:
        """Whether the point's run diverged."""
        return self.status == RunStatus.DIVERGED

    @property
    def finished(self) -> bool:
        """Whether the point needs no rerun: completed or diverged (RunStatus.is_result)."""
        return RunStatus.of(self.status).is_result

    def to_json(self) -> dict[str, Any]:
        """The result as sweep.json's point fields, with ``diverged`` spelt out."""
        return {**asdict(self), "diverged": self.diverged}


@dataclass
class SweepRecord:
    """What sweep.json holds: the plan's ``definition`` (SweepPlan.definition), the sweep's status, and each
    point (its values, seed and config) with its result."""

    definition: dict[str, Any]
    points: list[dict[str, Any]]  # Point.to_json(), in run order
    results: list[PointResult]  # one per point
    status: RunStatus = RunStatus.RUNNING

    def to_json(self) -> dict[str, Any]:
        """sweep.json's mapping: the definition, the status, and each point merged with its result."""
        rows = [{**p, **r.to_json()} for p, r in zip(self.points, self.results, strict=True)]
        return {**self.definition, "status": self.status, "points": rows}


def at_chance(final_test_acc: float | None, n_classes: int) -> bool:
    """Whether a final test accuracy (0-1) is within CHANCE_MARGIN (0.015) of chance, 1/K: the network learnt nothing.
    The margin is this project's rule of thumb, not the course's."""
    return final_test_acc is not None and n_classes > 0 and abs(final_test_acc - 1 / n_classes) <= CHANCE_MARGIN


def result_from_summary(summary: Mapping[str, Any], run_dir: str) -> PointResult:
    """A point's result as its run's summary.json tells it."""
    epochs = summary.get("epochs") or []
    status = RunStatus.of(summary.get("status", RunStatus.FAILED))
    final = summary.get("final_test_acc")
    n_classes = len(summary.get("class_names") or [])
    return PointResult(
        status=status,
        run_dir=run_dir,
        message=str(summary.get("message", "")),
        final_test_acc=final,
        best_test_acc=summary.get("best_test_acc"),
        best_epoch=summary.get("best_epoch"),
        final_train_acc=epochs[-1].get("train_acc") if epochs else None,
        epochs_completed=int(summary.get("epochs_completed") or 0),
        duration_s=summary.get("duration_s"),
        # a diverged run's last accuracy is from before it blew up: it says nothing about chance
        at_chance=(status.succeeded or status == RunStatus.STOPPED) and at_chance(final, n_classes),
    )


def run_folders(sweep_dir: Path) -> list[tuple[str, dict[str, Any]]]:
    """(folder name, summary) of every readable run inside a sweep folder, oldest first (runs.listing's scan)."""
    return [(Path(s["run_dir"]).name, s) for s in list_runs(sweep_dir) if isinstance(s.get("config"), dict)]




def sweep_csv(doc: Mapping[str, Any]) -> str:
    """One row per point that has a run: its keys, seed, status and final/best metrics (accuracies as fractions)."""
    keys: list[str] = []
    for point in doc.get("points", []):
        keys.extend(k for k in point.get("values", {}) if k not in keys)
    metrics = ["status", "final_test_acc", "best_test_acc", "best_epoch", "final_train_acc", "diverged", "at_chance", "epochs_completed"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["point", *keys, "seed", *metrics, "duration_s", "run_dir"])
    for point in doc.get("points", []):
        if not point.get("run_dir"):
            continue
        cells = [point.get(m) for m in metrics]
        writer.writerow(
            [
                point["index"],
                *(_csv_value(point["values"].get(k)) for k in keys),
                point.get("seed"),
                *(_csv_value(c) for c in cells),
                _csv_value(point.get("duration_s")),
                point["run_dir"],
            ]
        )
    return out.getvalue()


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return value


def write_sweep(sweep_dir: Path, doc: dict[str, Any]) -> None:
    """sweep.json, then sweep.csv: each replaced whole, never half-written."""
    doc = json_safe({**doc, "updated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
    atomic_write(sweep_dir / SWEEP_JSON, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    atomic_write(sweep_dir / SWEEP_CSV, sweep_csv(doc))


def read_sweep(sweep_dir: Path) -> dict[str, Any]:
    """``sweep_dir``'s sweep.json as a mapping. Raises RecordError (one line) when it cannot be read, is not JSON, or
    has no ``points`` list."""
    path = sweep_dir / SWEEP_JSON
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except (OSError, ValueError) as exc:
        raise RecordError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("points"), list):
        raise RecordError(f"{path} is not a sweep record (no 'points' list)")
    return doc


def list_sweeps(runs_dir: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every sweep folder directly under ``runs_dir`` (and ``runs_dir`` itself if it is one), newest first.

    A sweep whose sweep.json cannot be read is listed with status "unreadable: <why>" and no points.
    """
    if not runs_dir.is_dir():
        return []
    candidates = [runs_dir, *(c for c in runs_dir.iterdir() if c.is_dir())]
    found = []
    for folder in candidates:
        if (folder / SWEEP_JSON).is_file():
            try:
                found.append((folder, read_sweep(folder)))
            except RecordError as exc:  # listed, not hidden
                found.append((folder, {"name": folder.name, "status": f"unreadable: {exc}", "points": []}))
    return sorted(found, key=lambda item: (item[0] / SWEEP_JSON).stat().st_mtime, reverse=True)


def sweep_counts(doc: Mapping[str, Any]) -> dict[str, int]:
    """How many points of a sweep.json have each status (``pending`` for a point without one)."""
    counts: dict[str, int] = {}
    for point in doc.get("points", []):
        counts[point.get("status", "pending")] = counts.get(point.get("status", "pending"), 0) + 1
    return counts




