"""What a report shows, read from run and sweep folders into plain dataclasses (no torch, no matplotlib).

A run folder gives its config.toml (with its ``[lesson]``), metrics.csv (accuracies as 0-1 fractions, epoch 0 the
evaluation before training), summary.json and events.jsonl (the last test confusion matrix, the run's facts).
A sweep folder gives sweep.json and each point's run folder.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdfia_tui.engine.config import RunConfig
from rdfia_tui.engine.errors import RdfiaError
from rdfia_tui.engine.events import EpochEnded, EpochMetrics, RunStarted
from rdfia_tui.engine.runs.summary import read_summary

SWEEP_JSON = "sweep.json"


@dataclass(frozen=True)
class RunData:
    """One run as a report needs it: its folder name, summary.json, config, epochs (metrics.csv), the last test
    confusion matrix (rows are the true class, counts of test examples), the class names, and the run's facts
    (examples in the training split, optimiser steps per epoch; 0 when unknown)."""

    name: str
    folder: Path
    summary: dict[str, Any]
    config: RunConfig
    epochs: tuple[EpochMetrics, ...]
    confusion: tuple[tuple[int, ...], ...]
    class_names: tuple[str, ...]
    n_train: int = 0
    steps_per_epoch: int = 0


@dataclass(frozen=True)
class SweepPoint:
    """One point of a sweep: its index, the swept keys' labels, seed, sweep.json's result fields and its run (None
    when the point has no readable run yet)."""

    index: int
    labels: dict[str, str]
    seed: int | None
    result: dict[str, Any]
    run: RunData | None


@dataclass(frozen=True)
class SweepData:
    """A sweep folder: its name, sweep.json's mapping, the swept keys in grid order and its points in run order."""

    name: str
    folder: Path
    doc: dict[str, Any]
    keys: tuple[str, ...]
    points: tuple[SweepPoint, ...] = field(default=())


@dataclass(frozen=True)
class ReportInput:
    """Everything one report shows: runs and sweeps, in the order they were named."""

    runs: tuple[RunData, ...]
    sweeps: tuple[SweepData, ...]

    @property
    def first_name(self) -> str:
        """The folder name of the first run or sweep named (the default report file is named after it)."""
        return (self.runs or self.sweeps)[0].name


# ---- finding the folders ------------------------------------------------------------------------------------------
def is_sweep_folder(folder: Path) -> bool:
    """Whether ``folder`` is a sweep folder (it holds sweep.json)."""
    return (folder / SWEEP_JSON).is_file()


def resolve_target(runs_dir: Path, which: str) -> Path:
    """``which`` as a run or sweep folder: a path, a name as 'rdfia-tui runs' lists it, or 'latest' (the newest
    training run). Raises RecordError (one line) when there is none."""
    from rdfia_tui.engine.runs.listing import find_run

    for candidate in (Path(which).expanduser(), runs_dir / which):
        if which != "latest" and is_sweep_folder(candidate):
            return candidate
    return find_run(runs_dir, which, training_first=True)


# ---- reading a run ------------------------------------------------------------------------------------------------
def epochs_of(folder: Path, summary: dict[str, Any]) -> tuple[EpochMetrics, ...]:
    """The run's epochs from metrics.csv (summary.json's ``epochs`` when it cannot be read); a missing column is NaN."""
    from rdfia_tui.engine.runs.record import read_metrics_csv

    try:
        rows: list[dict[str, Any]] = read_metrics_csv(folder / "metrics.csv")
    except (OSError, ValueError):
        rows = [row for row in summary.get("epochs", []) if isinstance(row, dict)]
    return tuple(_metrics(row) for row in rows if "epoch" in row)


def _metrics(row: dict[str, Any]) -> EpochMetrics:
    values = {name: row.get(name) for name in EpochMetrics.columns()}
    floats = {k: math.nan if v is None else float(v) for k, v in values.items() if k != "epoch"}
    return EpochMetrics(epoch=int(values["epoch"]), **floats)


def last_events(folder: Path) -> tuple[RunStarted | None, EpochEnded | None]:
    """The run's last RunStarted and last EpochEnded in events.jsonl (None when absent); only those lines are decoded."""
    from rdfia_tui.engine.live.stream import EVENT_TYPES, EVENTS_FILE, EventReader

    try:
        events = EventReader(folder / EVENTS_FILE).read(superseded=frozenset(EVENT_TYPES))
    except OSError:
        events = []
    started = [e for e in events if isinstance(e, RunStarted)]
    ended = [e for e in events if isinstance(e, EpochEnded)]
    return (started[-1] if started else None), (ended[-1] if ended else None)


def _confusion(summary: dict[str, Any], ended: EpochEnded | None) -> tuple[tuple[int, ...], ...]:
    """The last EpochEnded's test confusion matrix, else summary.json's last one, else none."""
    if ended is not None and ended.confusion:
        return ended.confusion
    matrices = summary.get("test_confusion") or []
    return tuple(tuple(int(v) for v in row) for row in matrices[-1]) if matrices else ()


def read_run(folder: Path) -> RunData:
    """One run folder as RunData. Raises RecordError (summary.json) or ConfigError (config.toml, with its lesson), one
    line naming the file, when it cannot be read."""
    from rdfia_tui.engine import presets

    summary = read_summary(folder)
    config = presets.load(folder / "config.toml")
    started, ended = last_events(folder)
    confusion = _confusion(summary, ended)
    names = tuple(str(n) for n in summary.get("class_names") or (started.class_names if started else ()))
    if len(names) != len(confusion):
        names = tuple(str(k) for k in range(len(confusion)))
    n_train = int((summary.get("sizes") or {}).get("train") or (started.n_train if started else 0))
    return RunData(folder.name, folder, summary, config, epochs_of(folder, summary), confusion, names, n_train,
                   started.steps_per_epoch if started else 0)  # fmt: skip


# ---- reading a sweep ----------------------------------------------------------------------------------------------
def read_sweep_folder(folder: Path) -> SweepData:
    """A sweep folder as SweepData; a point whose run cannot be read has ``run`` None. Raises RecordError when
    sweep.json cannot be read."""
    from rdfia_tui.engine.sweep.records import read_sweep

    doc = read_sweep(folder)
    keys = tuple(doc.get("labels") or doc.get("grid") or ())
    points = tuple(_point(folder, p, keys) for p in doc["points"] if isinstance(p, dict))
    return SweepData(folder.name, folder, doc, keys, points)


def _point(folder: Path, point: dict[str, Any], keys: tuple[str, ...]) -> SweepPoint:
    labels = point.get("labels") or {}
    run = None
    if point.get("run_dir"):
        try:
            run = read_run(folder / str(point["run_dir"]))
        except RdfiaError:  # its records are damaged: the grid still shows what sweep.json says
            run = None
    return SweepPoint(int(point.get("index", 0)), {k: str(labels.get(k, "?")) for k in keys}, point.get("seed"), point, run)


def gather(folders: list[Path]) -> ReportInput:
    """Read each folder (a run or a sweep) once, in order. Raises RecordError for the first that cannot be read."""
    runs: list[RunData] = []
    sweeps: list[SweepData] = []
    for folder in dict.fromkeys(folders):
        if is_sweep_folder(folder):
            sweeps.append(read_sweep_folder(folder))
        else:
            runs.append(read_run(folder))
    return ReportInput(tuple(runs), tuple(sweeps))
