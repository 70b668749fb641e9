"""The plan of a sweep: every point (grid values and seed) with its whole config, validated before anything runs."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rdfia_tui.engine import config as config_mod
from rdfia_tui.engine.config import RunConfig
from rdfia_tui.engine.config_compare import comparable
from rdfia_tui.engine.errors import ConfigError
from rdfia_tui.engine.sweep.grid import Axis, check_disjoint, merge_axes, parse_grid
from rdfia_tui.engine.sweep.sources import load_source, seed_count, sweep_names


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
        """The point as sweep.json lists it: index, choice, values (tuples as lists), labels and seed."""
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
        """Every config key the axes set, axis by axis."""
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
    """Load ``source``, apply ``--set`` (and ``--device``), lay ``--grid`` over the file's grid, and expand every point.

    Raises ConfigError (one line) for a source that cannot be found or read, a bad ``--set``, ``--grid`` or
    ``--seeds``, nothing to sweep, two axes setting one key, or a point whose config is invalid.
    """
    loaded = load_source(source)
    overrides = list(overrides) + ([f"train.device={device}"] if device else [])
    base = config_mod.with_absolute_paths(config_mod.apply_overrides(loaded.config, overrides))
    axes = merge_axes(loaded.axes, parse_grid(grid))
    if not axes:
        raise ConfigError(
            f"{source}: nothing to sweep; add --grid section.key=v1,v2 (e.g. --grid optim.lr=0.01,0.1) "
            f"or give a sweep file with a [grid] table (shipped: {', '.join(sweep_names())})"
        )
    n_seeds = seed_count(seeds, "--seeds") if seeds is not None else loaded.seeds
    points = expand(base, axes, n_seeds)
    return SweepPlan(loaded.name, source, loaded.description, base, tuple(overrides), tuple(axes), n_seeds, loaded.base, points)




