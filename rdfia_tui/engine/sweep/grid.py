"""Sweep grids: axes of config values (or of bundles of values), from --grid text or a TOML [grid] table."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rdfia_tui.engine import config as config_mod
from rdfia_tui.engine.config_compare import canonical, flatten, value_text
from rdfia_tui.engine.errors import ConfigError

GRID_EXAMPLE = "--grid optim.lr=0.01,0.1"


@dataclass(frozen=True)
class Axis:
    """One dimension of a grid.

    A plain axis is named by its config key and each option sets that key alone. A bundle axis has a
    free name (``optimiser``) and each option sets several keys at once (``optim.name`` and ``optim.lr``).
    """

    name: str
    options: tuple[Mapping[str, Any], ...]

    @property
    def is_bundle(self) -> bool:
        """True when some option sets a key other than the axis's name (several keys at once)."""
        return any(list(o) != [self.name] for o in self.options)

    @property
    def keys(self) -> tuple[str, ...]:
        """Every config key an option of this axis sets, in first-seen order."""
        seen: dict[str, None] = {}
        for option in self.options:
            seen.update(dict.fromkeys(option))
        return tuple(seen)

    def label(self, index: int) -> str:
        """How option ``index`` is shown in tables and legends: ``0.1`` or ``adam lr=0.001``."""
        option = self.options[index]
        if not self.is_bundle:
            return value_text(option[self.name])
        parts = [value_text(v) if k.endswith(".name") else f"{k.rsplit('.', 1)[-1]}={value_text(v)}" for k, v in option.items()]
        return " ".join(parts)

    def labels(self) -> list[str]:
        """Every option's label, in order."""
        return [self.label(i) for i in range(len(self.options))]

    def to_json(self) -> list[Any]:
        """The axis as written in sweep.json's ``grid``: plain values, or one table per bundle."""
        if self.is_bundle:
            return [{k: list(v) if isinstance(v, tuple) else v for k, v in o.items()} for o in self.options]
        return [list(o[self.name]) if isinstance(o[self.name], tuple) else o[self.name] for o in self.options]


def _typed(key: str, value: Any, *, from_text: bool) -> Any:
    """``value`` for ``key`` in the field's type, type-checked and validated by the config's own rules."""
    spec = config_mod.spec_for(key)
    typed = config_mod.parse_text(spec, value) if from_text else config_mod.coerce(spec, value)
    config_mod.check_value(spec, typed)
    return typed


def _prefixed(prefix: str, exc: ConfigError) -> ConfigError:
    return ConfigError(f"{prefix}{exc}", key=exc.key)


def _no_repeats(name: str, options: Sequence[Mapping[str, Any]], prefix: str) -> None:
    seen: set[str] = set()
    for option in options:
        text = canonical(dict(option))
        if text in seen:
            shown = ", ".join(f"{k}={value_text(v)}" for k, v in option.items())
            raise ConfigError(f"{prefix}{name}: {shown} is listed twice", key=name if "." in name else None)
        seen.add(text)


def split_values(text: str) -> list[str]:
    """Split on the commas outside brackets, so ``[4],[8,8]`` gives two values."""
    parts, depth, current = [], 0, []
    for ch in text:
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts]


def parse_grid_option(text: str) -> Axis:
    """One ``--grid section.key=v1,v2,...``: every value type-checked as ``--set`` would."""
    key, sep, values = text.partition("=")
    key = key.strip()
    if not sep or "." not in key:
        raise ConfigError(f"--grid {text!r}: expected section.key=v1,v2,..., for example {GRID_EXAMPLE}")
    try:
        config_mod.spec_for(key)
    except ConfigError as exc:
        raise _prefixed("--grid: ", exc) from None
    if not values.strip():
        raise ConfigError(f"--grid {key}: no values; list them after '=', separated by commas, e.g. {GRID_EXAMPLE}", key=key)
    items = split_values(values)
    if any(not item for item in items):
        raise ConfigError(f"--grid {key}: empty value in {values.strip()!r}; separate the values with single commas", key=key)
    try:
        options = tuple({key: _typed(key, item, from_text=True)} for item in items)
    except ConfigError as exc:
        raise _prefixed("--grid ", exc) from None
    _no_repeats(key, options, "--grid ")
    return Axis(key, options)


def parse_grid(texts: Iterable[str]) -> list[Axis]:
    """Every ``--grid`` option, in order; a key given twice is an error."""
    axes: list[Axis] = []
    for text in texts:
        axis = parse_grid_option(text)
        if any(a.name == axis.name for a in axes):
            raise ConfigError(f"--grid {axis.name}: given twice; list every value in one --grid {axis.name}=v1,v2,...", key=axis.name)
        axes.append(axis)
    return axes


def _bundle(name: str, table: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    bundle = flatten(table)
    if not bundle:
        raise ConfigError(f"{prefix}{name}: an empty table sets nothing; give each bundle one or more section.key = value")
    out = {}
    for key, value in bundle.items():
        try:
            out[key] = _typed(key, value, from_text=False)
        except ConfigError as exc:
            raise _prefixed(f"{prefix}{name}: ", exc) from None
    return out


def axis_from_toml(name: str, values: Any, prefix: str) -> Axis:
    """A ``[grid]`` entry: ``"optim.lr" = [0.1, 0.5]``, or ``optimiser = [{ "optim.name" = "sgd", ... }, ...]``."""
    if not isinstance(values, list):
        raise ConfigError(f"{prefix}{name}: expected a list of values, got {values!r}", key=name if "." in name else None)
    if not values:
        raise ConfigError(f"{prefix}{name}: the list is empty; give one or more values", key=name if "." in name else None)
    tables = [isinstance(v, Mapping) for v in values]
    if any(tables) and not all(tables):
        raise ConfigError(f"{prefix}{name}: mixes tables and plain values; a bundle axis lists only tables")
    if all(tables):
        options: tuple[Mapping[str, Any], ...] = tuple(_bundle(name, v, prefix) for v in values)
    else:
        try:
            config_mod.spec_for(name)
            options = tuple({name: _typed(name, v, from_text=False)} for v in values)
        except ConfigError as exc:
            raise _prefixed(prefix, exc) from None
    _no_repeats(name, options, prefix)
    return Axis(name, options)


def grid_from_toml(table: Any, source: str) -> list[Axis]:
    """The axes of a sweep file's ``[grid]`` table, in file order."""
    prefix = f"{source}: [grid] "
    if not isinstance(table, Mapping):
        raise ConfigError(f"{prefix}expected a table, got {table!r}")
    axes = []
    for name, values in table.items():
        # an unquoted optim.lr = [...] arrives as {"optim": {"lr": [...]}}: unfold it
        if isinstance(values, Mapping):
            axes.extend(axis_from_toml(k, v, prefix) for k, v in flatten(values, f"{name}.").items())
        else:
            axes.append(axis_from_toml(name, values, prefix))
    return axes


def merge_axes(base: Sequence[Axis], extra: Sequence[Axis]) -> list[Axis]:
    """``extra`` (the command line's --grid) replaces a base axis of the same name and adds the rest."""
    merged = list(base)
    for axis in extra:
        names = [a.name for a in merged]
        if axis.name in names:
            merged[names.index(axis.name)] = axis
        else:
            merged.append(axis)
    return merged


def check_disjoint(axes: Sequence[Axis]) -> None:
    """Two axes that set the same key would fight over it."""
    owner: dict[str, str] = {}
    for axis in axes:
        for key in axis.keys:
            if key in owner:
                raise ConfigError(f"grid: {key} is set by both the {owner[key]!r} and the {axis.name!r} axes; keep it in one", key=key)
            owner[key] = axis.name
