"""Sweep records: each point's result read from its run, sweep.json and sweep.csv, and the accuracy grid they draw."""

from __future__ import annotations

import csv
import io
import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rdfia_tui.engine.errors import RecordError
from rdfia_tui.engine.records import atomic_write, json_safe, read_summary

SWEEP_JSON = "sweep.json"
SWEEP_CSV = "sweep.csv"
# A diverged point is a result (that learning rate is too high), so it counts as finished.
FINISHED = ("completed", "diverged")
# Within 1.5 accuracy points of 1/n_classes: the network learnt nothing.
CHANCE_MARGIN = 0.015
# Keys that change how a run executes, not what it computes: a point is the same point on another device.
RUNTIME_KEYS = frozenset({"train.device", "train.threads", "train.progress_interval", "train.eval_batch_size", "data.download"})


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
        return self.status == "diverged"

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "diverged": self.diverged}


def at_chance(final_test_acc: float | None, n_classes: int) -> bool:
    return final_test_acc is not None and n_classes > 0 and abs(final_test_acc - 1 / n_classes) <= CHANCE_MARGIN


def result_from_summary(summary: Mapping[str, Any], run_dir: str) -> PointResult:
    """A point's result as its run's summary.json tells it."""
    epochs = summary.get("epochs") or []
    status = str(summary.get("status", "failed"))
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
        at_chance=status in ("completed", "stopped") and at_chance(final, n_classes),
    )


def flatten_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """``{"optim": {"lr": x}}`` -> ``{"optim.lr": x}``; name and description are left out."""
    return {f"{s}.{k}": v for s, values in config.items() if isinstance(values, Mapping) for k, v in values.items()}


def comparable(config: Mapping[str, Any], *, ignore: Sequence[str] = ()) -> dict[str, str]:
    """A config's keys and values, spelt canonically, without the runtime keys (and ``ignore``)."""
    skip = RUNTIME_KEYS | set(ignore)
    return {
        k: json.dumps(list(v) if isinstance(v, tuple) else v, sort_keys=True) for k, v in flatten_config(config).items() if k not in skip
    }


def first_difference(a: Mapping[str, Any], b: Mapping[str, Any], *, ignore: Sequence[str] = ()) -> tuple[str, str, str] | None:
    """The first key whose value differs between two configs, with both values; None when they agree."""
    ca, cb = comparable(a, ignore=ignore), comparable(b, ignore=ignore)
    for key in sorted(set(ca) | set(cb)):
        if ca.get(key) != cb.get(key):
            return key, ca.get(key, "(missing)"), cb.get(key, "(missing)")
    return None


def run_folders(sweep_dir: Path) -> list[tuple[str, dict[str, Any]]]:
    """(folder name, summary) of every readable run inside a sweep folder, oldest first."""
    found = []
    if not sweep_dir.is_dir():
        return found
    for child in sorted(sweep_dir.iterdir()):
        if (child / "summary.json").is_file():
            try:
                summary = read_summary(child)
            except (OSError, ValueError):
                continue
            if isinstance(summary, dict) and isinstance(summary.get("config"), dict):
                found.append((child.name, summary))
    return found


# --------------------------------------------------------------------------- sweep.json and sweep.csv


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
    counts: dict[str, int] = {}
    for point in doc.get("points", []):
        counts[point.get("status", "pending")] = counts.get(point.get("status", "pending"), 0) + 1
    return counts


# --------------------------------------------------------------------------- the picture: accuracy grid and curves


@dataclass(frozen=True)
class Cell:
    """One heat-map cell: its text and what it is (value, best, chance, diverged, failed, stopped, running, pending)."""

    text: str
    kind: str
    value: float | None = None


@dataclass(frozen=True)
class AccuracyGrid:
    """Final test accuracy (%) with the last axis across and every other axis down (one row when there is one axis)."""

    row_title: str
    col_title: str
    row_labels: list[str]
    col_labels: list[str]
    cells: list[list[Cell]]


def _cell(points: list[Mapping[str, Any]]) -> Cell:
    """Seeds of one grid cell averaged; the words carry the meaning without colour."""
    done = [p["final_test_acc"] for p in points if p.get("status") == "completed" and p.get("final_test_acc") is not None]
    diverged = sum(1 for p in points if p.get("status") == "diverged")
    if done:
        mean = 100 * sum(done) / len(done)
        chance = all(p.get("at_chance") for p in points if p.get("status") == "completed")
        text = f"{mean:.1f}" + (" chance" if chance else "") + (f" +{diverged} div" if diverged else "")
        return Cell(text, "chance" if chance else "value", mean)
    if diverged:
        return Cell("diverged", "diverged")
    statuses = {p.get("status", "pending") for p in points}
    for status in ("running", "failed", "stopped"):
        if status in statuses:
            return Cell(status, status)
    return Cell("·", "pending")


def accuracy_grid(doc: Mapping[str, Any]) -> AccuracyGrid:
    """The heat-map of a sweep document; the best cell (highest mean final test accuracy) is marked ``best``."""
    axes = list(doc.get("labels", {}).items())  # [(axis name, [labels])] in grid order
    if not axes:
        return AccuracyGrid("", "", [], [], [])
    (col_title, col_labels), row_axes = axes[-1], axes[:-1]
    rows: list[tuple[int, ...]] = [()]
    for _, labels in row_axes:
        rows = [(*r, i) for r in rows for i in range(len(labels))]
    by_cell: dict[tuple[int, ...], list[Mapping[str, Any]]] = {}
    for point in doc.get("points", []):
        by_cell.setdefault(tuple(point.get("choice", ())), []).append(point)
    cells = [[_cell(by_cell.get((*r, c), [])) for c in range(len(col_labels))] for r in rows]
    values = [cell.value for row in cells for cell in row if cell.kind == "value" and cell.value is not None]
    if values:
        best = max(values)
        cells = [[Cell(c.text, "best", c.value) if c.kind == "value" and c.value == best else c for c in row] for row in cells]
    row_labels = [", ".join(row_axes[a][1][i] for a, i in enumerate(r)) for r in rows] if row_axes else ["final test %"]
    return AccuracyGrid(" × ".join(name for name, _ in row_axes), col_title, row_labels, list(col_labels), cells)


def point_label(doc: Mapping[str, Any], point: Mapping[str, Any]) -> str:
    """A legend entry: ``lr=0.1 batch_size=128`` (plain axes by their last key part), bundles by their label, then the seed."""
    parts = []
    for name, label in point.get("labels", {}).items():
        parts.append(f"{name.rsplit('.', 1)[-1]}={label}" if "." in name else label)
    if int(doc.get("seeds", 1)) > 1:
        parts.append(f"seed={point.get('seed')}")
    return " ".join(parts)


def accuracy_curves(sweep_dir: Path, doc: Mapping[str, Any]) -> dict[str, tuple[list[int], list[float]]]:
    """Every run's test accuracy (%) by epoch, read from its summary.json, keyed by the point's label."""
    curves = {}
    for point in doc.get("points", []):
        if not point.get("run_dir"):
            continue
        try:
            summary = read_summary(sweep_dir / point["run_dir"])
        except (OSError, ValueError):
            continue
        rows = summary.get("epochs") or []
        xs = [int(r["epoch"]) for r in rows]
        ys = [100 * r["test_acc"] if isinstance(r.get("test_acc"), int | float) else math.nan for r in rows]
        curves[point_label(doc, point)] = (xs, ys)
    return curves
