"""Sweeps: every combination of a grid of config values, trained in order with fit into one resumable folder.

A sweep is a preset plus a grid, given on the command line (``--grid optim.lr=0.1,0.5``) or as a TOML
file: a preset (or ``[sweep] base = "a-preset"`` with sections that change it) plus a ``[grid]`` table.
The folder holds one run folder per point, ``sweep.json`` (the definition and every point's result)
and ``sweep.csv`` (one row per run); both are rewritten atomically after every point.
"""

from __future__ import annotations

import itertools
import json
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from rdfia_tui.engine import config as config_mod
from rdfia_tui.engine.config import RunConfig
from rdfia_tui.engine.control import RunControl
from rdfia_tui.engine.errors import ConfigError, DataError, DeviceError, RecordError
from rdfia_tui.engine.events import Emit, Event, RunStarted, ignore
from rdfia_tui.engine.presets import load_preset, preset_names
from rdfia_tui.engine.records import create_run_dir, read_summary
from rdfia_tui.engine.registry import did_you_mean, nearest
from rdfia_tui.engine.sweep_grid import Axis, check_disjoint, grid_from_toml, merge_axes, parse_grid
from rdfia_tui.engine.sweep_records import (
    SWEEP_JSON,
    PointResult,
    comparable,
    first_difference,
    read_sweep,
    result_from_summary,
    run_folders,
    write_sweep,
)

SWEEP_PACKAGE = "rdfia_tui.presets.sweeps"
SWEEP_TABLE = "sweep"
GRID_TABLE = "grid"
SWEEP_KEYS = ("base", "seeds")
# Errors of the environment, not of one point: every later point would hit them too.
ABORTING = (DataError, DeviceError, RecordError)


# --------------------------------------------------------------------------- sources: a preset, a sweep file, a shipped sweep


@dataclass(frozen=True)
class SweepSource:
    """What a sweep starts from: the config every point shares, and the file's grid and seed count."""

    name: str
    description: str
    config: RunConfig
    axes: tuple[Axis, ...] = ()
    seeds: int = 1
    base: str = ""  # the preset a sweep file builds on, when it names one


def _shipped_sweeps() -> dict[str, Any]:
    folder = resources.files(SWEEP_PACKAGE)
    return {f.name.removesuffix(".toml"): f for f in folder.iterdir() if f.name.endswith(".toml")}


def sweep_names() -> list[str]:
    return sorted(_shipped_sweeps())


def _seeds(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{where}: got {value!r}; must be an integer of at least 1", key="seeds")
    return value


def _with_sections(base: RunConfig, raw: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` as a TOML mapping with the sweep file's own keys laid over it, section by section."""
    merged: dict[str, Any] = base.to_dict()
    for top, value in raw.items():
        if isinstance(value, Mapping) and isinstance(merged.get(top), dict):
            merged[top] = {**merged[top], **value}
        else:
            merged[top] = value
    return merged


def parse_sweep_toml(text: str, *, source: str, default_name: str, folder: Path | None = None) -> SweepSource:
    """A sweep file: a preset's tables plus ``[grid]``, and an optional ``[sweep]`` table with ``base`` and ``seeds``."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: invalid TOML: {exc}") from None
    table = raw.pop(SWEEP_TABLE, {})
    grid = raw.pop(GRID_TABLE, {})
    if not isinstance(table, Mapping):
        raise ConfigError(f"{source}: [{SWEEP_TABLE}] must be a table with {' and '.join(SWEEP_KEYS)}")
    for key in table:
        if key not in SWEEP_KEYS:
            raise ConfigError(
                f"{source}: unknown key '{SWEEP_TABLE}.{key}'{did_you_mean(key, SWEEP_KEYS)} (sweep keys: {', '.join(SWEEP_KEYS)})"
            )
    seeds = _seeds(table.get("seeds", 1), f"{source}: {SWEEP_TABLE}.seeds")
    name = raw.get("name", default_name)
    base_name = table.get("base", "")
    if not isinstance(base_name, str):
        raise ConfigError(f"{source}: {SWEEP_TABLE}.base: expected a preset name or a .toml path, got {base_name!r}")
    if base_name:
        local = folder / base_name if folder is not None else None
        try:
            base = load_preset(str(local) if local is not None and local.is_file() else base_name)
        except ConfigError as exc:
            raise ConfigError(f"{source}: {SWEEP_TABLE}.base: {exc}", key=exc.key) from None
        raw = _with_sections(base, raw)
    raw["name"] = name  # the sweep's name, not its base preset's: run folders are named after it
    try:
        cfg = config_mod.from_mapping(raw, default_name=default_name)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}", key=exc.key) from None
    axes = grid_from_toml(grid, source)
    return SweepSource(cfg.name, cfg.description, cfg, tuple(axes), seeds, base_name)


def _is_sweep_file(text: str) -> bool:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return False
    return GRID_TABLE in raw or SWEEP_TABLE in raw


def load_source(name_or_path: str) -> SweepSource:
    """A shipped sweep by name, a shipped preset by name, or a .toml file (a sweep file or a plain preset)."""
    shipped = _shipped_sweeps()
    if name_or_path in shipped:
        text = shipped[name_or_path].read_text(encoding="utf-8")
        return parse_sweep_toml(text, source=f"sweep {name_or_path}", default_name=name_or_path)
    path = Path(name_or_path).expanduser()
    if name_or_path not in preset_names() and path.is_file():
        text = config_mod.read_toml_text(path)
        if _is_sweep_file(text):
            return parse_sweep_toml(text, source=str(path), default_name=path.stem, folder=path.parent)
    elif name_or_path not in preset_names() and path.suffix != ".toml":
        names = sweep_names() + preset_names()
        near = nearest(name_or_path, names)
        hint = f"; did you mean '{near}'?" if near else ""
        raise ConfigError(
            f"no sweep or preset named {name_or_path!r}{hint} (shipped sweeps: {', '.join(sweep_names())}; "
            "'rdfia-tui presets' lists the presets; or give a path to a .toml file)"
        )
    cfg = load_preset(name_or_path)
    return SweepSource(cfg.name, cfg.description, cfg)


# --------------------------------------------------------------------------- the plan: every point, validated before anything runs


@dataclass(frozen=True)
class Point:
    """One combination of grid values and one seed, with the whole config it trains."""

    index: int  # 1-based, in run order
    choice: tuple[int, ...]  # the option taken on each axis
    values: Mapping[str, Any]  # every key the axes set, with this point's value
    labels: Mapping[str, str]  # axis name -> the option's label
    seed: int
    config: RunConfig
    text: str  # "optim.lr=0.1 train.batch_size=128" (and " seed=1" with several seeds)

    def identity(self) -> str:
        """Equal for two runs of the same point: its whole config except how it was executed."""
        return json.dumps(comparable(self.config.to_dict()), sort_keys=True)

    def to_json(self) -> dict[str, Any]:
        values = {k: list(v) if isinstance(v, tuple) else v for k, v in self.values.items()}
        return {"index": self.index, "choice": list(self.choice), "values": values, "labels": dict(self.labels), "seed": self.seed}


@dataclass(frozen=True)
class SweepPlan:
    """A source, the command line's changes to it, and every point those give, in run order."""

    name: str
    source: str
    description: str
    base: RunConfig
    overrides: tuple[str, ...]
    axes: tuple[Axis, ...]
    seeds: int
    base_preset: str = ""
    points: tuple[Point, ...] = field(default=())

    @property
    def keys(self) -> list[str]:
        return [k for a in self.axes for k in a.keys]

    def definition(self) -> dict[str, Any]:
        """What sweep.json says the sweep is, before any result."""
        return {
            "name": self.name,
            "source": self.source,
            "description": self.description,
            "base_preset": self.base_preset,
            "overrides": list(self.overrides),
            "grid": {a.name: a.to_json() for a in self.axes},
            "labels": {a.name: a.labels() for a in self.axes},
            "seeds": self.seeds,
            "base_seed": self.base.train.seed,
            "total": len(self.points),
            "base_config": self.base.to_dict(),
        }


def _point_text(axes: Sequence[Axis], choice: Sequence[int], seed: int, seeds: int) -> str:
    parts = []
    for axis, i in zip(axes, choice, strict=True):
        label = axis.label(i)
        parts.append(f"{axis.name}=({label})" if " " in label else f"{axis.name}={label}")
    if seeds > 1:
        parts.append(f"seed={seed}")
    return " ".join(parts)


def expand(base: RunConfig, axes: Sequence[Axis], seeds: int) -> tuple[Point, ...]:
    """Every combination (the last axis varies fastest), each repeated with seeds base, base+1, ...; all validated."""
    check_disjoint(axes)
    if seeds > 1 and any("train.seed" in a.keys for a in axes):
        raise ConfigError("--seeds: train.seed is already a grid axis; drop one of the two", key="train.seed")
    flat = {f"{s}.{k}": v for s, values in base.to_dict().items() if isinstance(values, dict) for k, v in values.items()}
    points = []
    for choice in itertools.product(*(range(len(a.options)) for a in axes)):
        values: dict[str, Any] = {}
        for axis, i in zip(axes, choice, strict=True):
            # a bundle that leaves out a key another bundle sets keeps the base value
            values.update({k: axis.options[i].get(k, flat[k]) for k in axis.keys})
        for s in range(seeds):
            seed = values.get("train.seed", base.train.seed + s)
            text = _point_text(axes, choice, seed, seeds)
            try:
                cfg = config_mod.with_values(base, {**values, "train.seed": seed})
            except ConfigError as exc:
                raise ConfigError(f"grid point {text}: {exc}", key=exc.key) from None
            labels = {a.name: a.label(i) for a, i in zip(axes, choice, strict=True)}
            points.append(Point(len(points) + 1, tuple(choice), values, labels, seed, cfg, text))
    return tuple(points)


def build_plan(
    source: str, *, grid: Iterable[str] = (), seeds: int | None = None, overrides: Iterable[str] = (), device: str | None = None
) -> SweepPlan:
    """Load ``source``, apply ``--set`` (and ``--device``), lay ``--grid`` over the file's grid, and expand every point."""
    loaded = load_source(source)
    overrides = list(overrides) + ([f"train.device={device}"] if device else [])
    base = config_mod.with_absolute_paths(config_mod.apply_overrides(loaded.config, overrides))
    axes = merge_axes(loaded.axes, parse_grid(grid))
    if not axes:
        raise ConfigError(
            f"{source}: nothing to sweep; add --grid section.key=v1,v2 (e.g. --grid optim.lr=0.01,0.1) "
            f"or give a sweep file with a [grid] table (shipped: {', '.join(sweep_names())})"
        )
    n_seeds = _seeds(seeds, "--seeds") if seeds is not None else loaded.seeds
    points = expand(base, axes, n_seeds)
    return SweepPlan(loaded.name, source, loaded.description, base, tuple(overrides), tuple(axes), n_seeds, loaded.base, points)


# --------------------------------------------------------------------------- running


@dataclass(frozen=True)
class PointStarted:
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
    status: str
    plan: SweepPlan
    results: list[PointResult]

    @property
    def failed(self) -> list[int]:
        return [i + 1 for i, r in enumerate(self.results) if r.status == "failed"]


def new_sweep_dir(runs_dir: Path, name: str) -> Path:
    """A new folder ``<runs_dir>/sweep-<YYYYmmdd-HHMMSS>-<name>`` (suffixed -2, -3… on a clash)."""
    return create_run_dir(runs_dir, name, prefix="sweep-")


def _open_sweep_dir(sweep_dir: Path, plan: SweepPlan) -> None:
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
    old_keys = [k for p in doc["points"] for k in p.get("values", {})]
    difference = first_difference(doc.get("base_config", {}), plan.base.to_dict(), ignore=[*old_keys, *plan.keys, "train.seed"])
    if difference:
        key, there, here = difference
        raise ConfigError(
            f"sweep folder {sweep_dir} holds another sweep: {key} is {there} there and {here} here; "
            "give another --sweep-dir (or none, for a new folder)",
            key=key,
        )


def _previous_results(sweep_dir: Path, points: Sequence[Point]) -> dict[int, PointResult]:
    """The run already in the folder for each point: a finished one if there is one, else the newest."""
    by_identity: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for name, summary in run_folders(sweep_dir):
        by_identity.setdefault(json.dumps(comparable(summary["config"]), sort_keys=True), []).append((name, summary))
    found = {}
    for i, point in enumerate(points):
        runs = by_identity.get(point.identity(), [])
        finished = [r for r in runs if result_from_summary(r[1], r[0]).finished]
        if finished or runs:
            name, summary = (finished or runs)[-1]
            found[i] = result_from_summary(summary, name)
    return found


def _result_of_folder(sweep_dir: Path, run_dir: str | None, status: str, message: str) -> PointResult:
    """The recorded result of a run that ended in an exception; its folder may not exist."""
    if run_dir is not None and (sweep_dir / run_dir / "summary.json").is_file():
        try:
            summary = read_summary(sweep_dir / run_dir)
            return result_from_summary({**summary, "status": status, "message": message or summary.get("message", "")}, run_dir)
        except (OSError, ValueError):
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
    """
    if fit_fn is None:
        from rdfia_tui.engine.training import fit as fit_fn
    control = control or RunControl()
    _open_sweep_dir(sweep_dir, plan)
    points = plan.points
    previous = _previous_results(sweep_dir, points)
    results = [previous.get(i, PointResult()) for i in range(len(points))]
    state = {"status": "running"}

    def save() -> None:
        rows = [{**p.to_json(), **r.to_json()} for p, r in zip(points, results, strict=True)]
        write_sweep(sweep_dir, {**plan.definition(), "status": state["status"], "points": rows})

    save()
    total = len(points)
    current: int | None = None
    try:
        for i, point in enumerate(points):
            if results[i].finished:
                on_event(PointFinished(i + 1, total, point, results[i], skipped=True))
                continue
            if control.stop.is_set():
                state["status"] = "stopped"
                break
            on_event(PointStarted(i + 1, total, point))
            current = i

            def forward(event: Event, i: int = i) -> None:
                if isinstance(event, RunStarted):
                    results[i] = PointResult(status="running", run_dir=Path(event.run_dir).name)
                    save()
                emit(event)

            try:
                run = fit_fn(point.config, forward, control, runs_dir=sweep_dir, data_root=data_root)
                results[i] = result_from_summary(run.summary, Path(run.run_dir).name)
            except ABORTING as exc:
                results[i] = _result_of_folder(sweep_dir, results[i].run_dir, "failed", str(exc))
                state["status"] = "failed"
                raise
            except Exception as exc:
                results[i] = _result_of_folder(sweep_dir, results[i].run_dir, "failed", f"{type(exc).__name__}: {exc}")
            current = None
            save()
            on_event(PointFinished(i + 1, total, point, results[i]))
            if results[i].status == "stopped":
                state["status"] = "stopped"
                break
    except KeyboardInterrupt:
        if current is not None:
            results[current] = _result_of_folder(sweep_dir, results[current].run_dir, "stopped", "interrupted")
        state["status"] = "stopped"
        raise
    finally:
        if state["status"] == "running":
            state["status"] = "failed" if any(r.status == "failed" for r in results) else "completed"
        save()
    return SweepOutcome(sweep_dir, state["status"], plan, results)
