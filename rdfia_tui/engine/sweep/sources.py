"""Where a sweep comes from: a preset plus --grid, a sweep TOML file (base preset, sections, [grid]) or a shipped sweep."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from rdfia_tui.engine import config as config_mod
from rdfia_tui.engine import preset_base
from rdfia_tui.engine.config import RunConfig
from rdfia_tui.engine.errors import ConfigError
from rdfia_tui.engine.presets import base_config, load_preset, preset_names
from rdfia_tui.engine.registry import did_you_mean, nearest
from rdfia_tui.engine.sweep.grid import Axis, grid_from_toml

SWEEP_PACKAGE = "rdfia_tui.presets.sweeps"
SWEEP_TABLE = "sweep"
GRID_TABLE = "grid"
SWEEP_KEYS = ("base", "seeds")


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
    """The shipped sweep files' names (their .toml stems), sorted."""
    return sorted(_shipped_sweeps())


def seed_count(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{where}: got {value!r}; must be an integer of at least 1", key="seeds")
    return value


def parse_sweep_toml(text: str, *, source: str, default_name: str, folder: Path | None = None) -> SweepSource:
    """A sweep file: a preset's tables plus ``[grid]``, and an optional ``[sweep]`` table with ``base`` and ``seeds``."""
    raw = config_mod.parse_toml(text, source=source)
    table = raw.pop(SWEEP_TABLE, {})
    grid = raw.pop(GRID_TABLE, {})
    if not isinstance(table, Mapping):
        raise ConfigError(f"{source}: [{SWEEP_TABLE}] must be a table with {' and '.join(SWEEP_KEYS)}")
    for key in table:
        if key not in SWEEP_KEYS:
            raise ConfigError(
                f"{source}: unknown key '{SWEEP_TABLE}.{key}'{did_you_mean(key, SWEEP_KEYS)} (sweep keys: {', '.join(SWEEP_KEYS)})"
            )
    seeds = seed_count(table.get("seeds", 1), f"{source}: {SWEEP_TABLE}.seeds")
    name = raw.get("name", default_name)
    if config_mod.BASE_KEY in raw:
        raise ConfigError(
            f"{source}: a sweep file names its preset in [{SWEEP_TABLE}]; move 'base = ...' under [{SWEEP_TABLE}]", key="base"
        )
    base_name = table.get("base")
    try:
        base = base_config(base_name, folder=folder, key=f"{SWEEP_TABLE}.base")
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}", key=exc.key) from None
    if base is not None:
        raw = preset_base.overlay(base, raw)  # the one merge presets use too; the description stays the base's when the file has none
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
