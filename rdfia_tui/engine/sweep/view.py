"""What a sweep looks like: the accuracy grid (mean and spread per cell) and the test-accuracy curves, for the CLI and the console."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdfia_tui.engine.errors import RecordError
from rdfia_tui.engine.runs.status import RunStatus
from rdfia_tui.engine.runs.summary import read_summary
from rdfia_tui.engine.sweep.records import sweep_counts


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


def completed_accuracies(points: Sequence[Mapping[str, Any]]) -> list[float]:
    """The final test accuracies (0-1) of the completed (or early-stopped: their best epoch's) points of a sweep.json."""
    return [p["final_test_acc"] for p in points if RunStatus.of(p.get("status")).succeeded and p.get("final_test_acc") is not None]


def finished_points(doc: Mapping[str, Any]) -> int:
    """How many points of a sweep.json need no rerun (completed or diverged)."""
    return sum(n for status, n in sweep_counts(doc).items() if RunStatus.of(status).is_result)  # "pending" is none


def _cell(points: list[Mapping[str, Any]]) -> Cell:
    """Seeds of one grid cell averaged; the words carry the meaning without colour."""
    done = completed_accuracies(points)
    diverged = sum(1 for p in points if p.get("status") == RunStatus.DIVERGED)
    if done:
        mean = 100 * sum(done) / len(done)
        chance = all(p.get("at_chance") for p in points if RunStatus.of(p.get("status")).succeeded)
        early = any(p.get("status") == RunStatus.EARLY_STOPPED for p in points)
        text = f"{mean:.1f}" + (" early" if early else "") + (" chance" if chance else "") + (f" +{diverged} div" if diverged else "")
        return Cell(text, "chance" if chance else "value", mean)
    if diverged:
        return Cell("diverged", "diverged")
    if any(p.get("status") == RunStatus.PRUNED for p in points):
        return Cell("pruned", "pruned")  # stopped early by the scheduler: its last accuracy is no final one
    statuses = {p.get("status", "pending") for p in points}
    for status in (RunStatus.RUNNING, RunStatus.FAILED, RunStatus.STOPPED):
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
        except RecordError:
            continue
        rows = summary.get("epochs") or []
        xs = [int(r["epoch"]) for r in rows]
        ys = [100 * r["test_acc"] if isinstance(r.get("test_acc"), int | float) else math.nan for r in rows]
        curves[point_label(doc, point)] = (xs, ys)
    return curves
