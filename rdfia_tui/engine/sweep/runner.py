"""Running a sweep: each point trained with fit in order, its result recorded, an interrupted sweep resumed."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from rdfia_tui.engine.config_compare import canonical, comparable, first_difference, value_text
from rdfia_tui.engine.control import RunControl
from rdfia_tui.engine.errors import ConfigError, DataError, DeviceError, RecordError
from rdfia_tui.engine.events import Emit, Event, RunStarted, ignore
from rdfia_tui.engine.runs.files import held
from rdfia_tui.engine.runs.record import create_run_dir
from rdfia_tui.engine.runs.status import RunStatus
from rdfia_tui.engine.runs.summary import read_summary
from rdfia_tui.engine.sweep.plan import Point, SweepPlan
from rdfia_tui.engine.sweep.records import SWEEP_JSON, PointResult, SweepRecord, read_sweep, result_from_summary, run_folders, write_sweep

# Errors of the environment, not of one point: every later point would hit them too.
ABORTING = (DataError, DeviceError, RecordError)


@dataclass(frozen=True)
class PointStarted:
    """A point is about to train: its 1-based index, the number of points, and the point."""

    index: int
    total: int
    point: Point


@dataclass(frozen=True)
class PointFinished:
    """A point ended (or was found finished in the folder, ``skipped``); ``result`` is what sweep.json now says."""

    index: int
    total: int
    point: Point
    result: PointResult
    skipped: bool = False


SweepEvent = PointStarted | PointFinished
OnSweepEvent = Callable[[SweepEvent], None]


@dataclass
class SweepOutcome:
    """The sweep's end: completed (every point finished), failed (some point failed) or stopped."""

    sweep_dir: Path
    status: RunStatus
    plan: SweepPlan
    results: list[PointResult]

    @property
    def failed(self) -> list[int]:
        """The 1-based indices of the points that failed."""
        return [i + 1 for i, r in enumerate(self.results) if r.status == RunStatus.FAILED]


def new_sweep_dir(runs_dir: Path, name: str) -> Path:
    """A new folder ``<runs_dir>/sweep-<YYYYmmdd-HHMMSS>-<name>`` (suffixed -2, -3… on a clash)."""
    return create_run_dir(runs_dir, name, prefix="sweep-")


def open_sweep_dir(sweep_dir: Path, plan: SweepPlan) -> None:
    """Create the folder, or check that the sweep already in it is this one (same base config and axes)."""
    try:
        sweep_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RecordError(f"cannot create the sweep folder {sweep_dir} ({exc.strerror or exc}); choose another --sweep-dir") from None
    if not (sweep_dir / SWEEP_JSON).is_file():
        return
    doc = read_sweep(sweep_dir)
    if list(doc.get("labels", {})) != [a.name for a in plan.axes]:
        raise ConfigError(
            f"sweep folder {sweep_dir} sweeps over {', '.join(doc.get('labels', {})) or 'nothing'}, "
            f"not {', '.join(a.name for a in plan.axes)}; give another --sweep-dir (or none, for a new folder)"
        )
    _same_grid_or_refuse(sweep_dir, doc, plan)
    old_keys = [k for p in doc["points"] for k in p.get("values", {})]
    difference = first_difference(doc.get("base_config", {}), plan.base.to_dict(), ignore=[*old_keys, *plan.keys, "train.seed"])
    if difference:
        key, there, here = difference
        raise ConfigError(
            f"sweep folder {sweep_dir} holds another sweep: {key} is {there} there and {here} here; "
            "give another --sweep-dir (or none, for a new folder)",
            key=key,
        )


def _same_grid_or_refuse(sweep_dir: Path, doc: dict[str, Any], plan: SweepPlan) -> None:
    """Raise ConfigError when the folder's sweep has other values on an axis, or another number of seeds:
    continuing it would drop its finished points from sweep.json."""
    grid = doc.get("grid", {})
    for axis in plan.axes:
        there = grid.get(axis.name)
        if there is not None and canonical(there) != canonical(axis.to_json()):
            raise ConfigError(
                f"sweep folder {sweep_dir} sweeps {axis.name} over {value_text(there)}, not {value_text(axis.to_json())}; "
                "give another --sweep-dir (or none, for a new folder), so that its finished points are kept",
                key=axis.name,
            )
    if doc.get("seeds", plan.seeds) != plan.seeds:
        raise ConfigError(
            f"sweep folder {sweep_dir} runs {doc['seeds']} seed(s) per point, not {plan.seeds}; "
            "give another --sweep-dir (or none, for a new folder), so that its finished points are kept"
        )


def previous_results(sweep_dir: Path, points: Sequence[Point]) -> dict[int, PointResult]:
    """The run already in the folder for each point: a finished one if there is one, else the newest. A run that
    sweep.json records as pruned (its own summary says stopped: the scheduler stopped it) is a pruned result."""
    pruned = _pruned_runs(sweep_dir)
    by_identity: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for name, summary in run_folders(sweep_dir):
        if name in pruned:
            summary = {**summary, "status": RunStatus.PRUNED, "message": pruned[name]}
        by_identity.setdefault(json.dumps(comparable(summary["config"]), sort_keys=True), []).append((name, summary))
    found = {}
    for i, point in enumerate(points):
        runs = by_identity.get(point.identity(), [])
        finished = [r for r in runs if result_from_summary(r[1], r[0]).finished]
        if finished or runs:
            name, summary = (finished or runs)[-1]
            found[i] = result_from_summary(summary, name)
    return found


def _pruned_runs(sweep_dir: Path) -> dict[str, str]:
    """The run folders sweep.json records as pruned, with their messages."""
    if not (sweep_dir / SWEEP_JSON).is_file():
        return {}
    points = read_sweep(sweep_dir).get("points", [])
    return {p["run_dir"]: p.get("message", "") for p in points if p.get("status") == RunStatus.PRUNED and p.get("run_dir")}


def _result_of_folder(sweep_dir: Path, run_dir: str | None, status: str, message: str) -> PointResult:
    """The recorded result of a run that ended in an exception; its folder may not exist."""
    if run_dir is not None and (sweep_dir / run_dir / "summary.json").is_file():
        try:
            summary = read_summary(sweep_dir / run_dir)
            return result_from_summary({**summary, "status": status, "message": message or summary.get("message", "")}, run_dir)
        except RecordError:
            pass
    return PointResult(status=status, run_dir=run_dir, message=message)


def run_sweep(
    plan: SweepPlan,
    sweep_dir: Path,
    on_event: OnSweepEvent = lambda event: None,
    control: RunControl | None = None,
    *,
    data_root: str | Path | None = None,
    emit: Emit = ignore,
    fit_fn: Callable[..., Any] | None = None,
) -> SweepOutcome:
    """Train every point not already finished in ``sweep_dir``, in order; ``emit`` receives each run's engine events.

    A diverged or failed point is recorded and the sweep goes on; ``control.stop`` ends it after the
    current step. Errors of the environment (data, device, records) end it at once and are raised.

    Returns a SweepOutcome (completed, failed or stopped). Raises ConfigError when ``sweep_dir`` holds another
    sweep, RecordError when it cannot be created or its sweep.json read, DataError/DeviceError/RecordError from
    a point, and KeyboardInterrupt after recording it.
    """
    if fit_fn is None:
        from rdfia_tui.engine.training import fit as fit_fn
    open_sweep_dir(sweep_dir, plan)
    previous = previous_results(sweep_dir, plan.points)
    results = [previous.get(i, PointResult()) for i in range(len(plan.points))]
    record = SweepRecord(plan.definition(), [p.to_json() for p in plan.points], results)
    sweep = SweepRun(plan, sweep_dir, record, on_event, control or RunControl(), emit, partial(fit_fn, data_root=data_root))
    with held(sweep_dir, "runs this sweep"):  # two commands on one --sweep-dir would train the same points twice
        return sweep.run()


@dataclass
class SweepRun:
    """One pass over a sweep's points; ``record`` is rewritten (sweep.json, sweep.csv) after each change."""

    plan: SweepPlan
    sweep_dir: Path
    record: SweepRecord
    on_event: OnSweepEvent
    control: RunControl
    emit: Emit
    fit: Callable[..., Any]  # fit(config, emit, control, runs_dir=...) -> RunResult
    current: int | None = None  # the point being trained

    def save(self) -> None:
        """Rewrite sweep.json and sweep.csv from ``record``, atomically (RecordWriteError when the disk refuses)."""
        write_sweep(self.sweep_dir, self.record.to_json())

    def run(self) -> SweepOutcome:
        """Train every unfinished point in order, rewriting the records after each; the outcome is completed, failed or
        stopped. DataError, DeviceError, RecordError and KeyboardInterrupt are recorded, then raised."""
        results = self.record.results
        self.save()
        try:
            for i, point in enumerate(self.plan.points):
                if results[i].finished:
                    self.on_event(PointFinished(i + 1, len(results), point, results[i], skipped=True))
                    continue
                if self.control.stop.is_set() or self.train(i, point).status == RunStatus.STOPPED:
                    self.record.status = RunStatus.STOPPED
                    break
        except KeyboardInterrupt:
            if self.current is not None:
                results[self.current] = _result_of_folder(self.sweep_dir, results[self.current].run_dir, RunStatus.STOPPED, "interrupted")
            self.record.status = RunStatus.STOPPED
            raise
        finally:
            if self.record.status == RunStatus.RUNNING:
                failed = any(r.status == RunStatus.FAILED for r in results)
                self.record.status = RunStatus.FAILED if failed else RunStatus.COMPLETED
            self.save()
        return SweepOutcome(self.sweep_dir, self.record.status, self.plan, results)

    def train(self, i: int, point: Point) -> PointResult:
        """Train point ``i``; its result is recorded whatever happens (an environment error is raised after)."""
        results, total = self.record.results, len(self.record.results)
        self.on_event(PointStarted(i + 1, total, point))
        self.current = i
        try:
            run = self.fit(point.config, partial(self.forward, i), self.control, runs_dir=self.sweep_dir)
            results[i] = result_from_summary(run.summary, Path(run.run_dir).name)
        except ABORTING as exc:
            results[i] = _result_of_folder(self.sweep_dir, results[i].run_dir, RunStatus.FAILED, str(exc))
            self.record.status = RunStatus.FAILED
            raise
        except Exception as exc:
            results[i] = _result_of_folder(self.sweep_dir, results[i].run_dir, RunStatus.FAILED, f"{type(exc).__name__}: {exc}")
        self.current = None
        self.save()
        self.on_event(PointFinished(i + 1, total, point, results[i]))
        return results[i]

    def forward(self, i: int, event: Event) -> None:
        """A run's engine event, passed on; its RunStarted names the point's folder in sweep.json at once."""
        if isinstance(event, RunStarted):
            self.record.results[i] = PointResult(status=RunStatus.RUNNING, run_dir=Path(event.run_dir).name)
            self.save()
        self.emit(event)
