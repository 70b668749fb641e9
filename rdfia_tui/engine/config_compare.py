"""Configs as flat ``section.key`` maps: one flattener, one spelling of a value, one comparison.

The sweep grid, the sweep records and the console's runs screen all compare configs through here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

# Keys that change how a run executes, not what it computes: a point is the same point on another device.
# train.nproc and train.backend: how many processes share the steps, not which steps (engine.distributed).
RUNTIME_KEYS = frozenset(
    {"train.device", "train.threads", "train.progress_interval", "train.eval_batch_size", "data.download", "train.nproc", "train.backend"}
)


def flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"optim": {"lr": x}}`` (TOML's unquoted ``optim.lr``) and ``{"optim.lr": x}`` both become ``{"optim.lr": x}``."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        full = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, full + "."))
        else:
            flat[full] = value
    return flat


def flatten_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """A config's sections as ``{"optim.lr": x, ...}``; the top-level name and description are left out."""
    return flatten({section: values for section, values in config.items() if isinstance(values, Mapping)})


def value_text(value: Any) -> str:
    """A short, stable spelling of a config value for people: 0.1, 128, sgd, [32, 64], true."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    return str(value)


def canonical(value: Any) -> str:
    """The same text for equal values, whether a tuple or a JSON list: what comparisons use."""
    if isinstance(value, tuple):
        value = list(value)
    return json.dumps(value, sort_keys=True)


def comparable(config: Mapping[str, Any], *, ignore: Sequence[str] = ()) -> dict[str, str]:
    """A config's keys and canonical values, without the runtime keys (and ``ignore``)."""
    skip = RUNTIME_KEYS | set(ignore)
    return {k: canonical(v) for k, v in flatten_config(config).items() if k not in skip}


def first_difference(a: Mapping[str, Any], b: Mapping[str, Any], *, ignore: Sequence[str] = ()) -> tuple[str, str, str] | None:
    """The first key whose value differs between two configs, with both values; None when they agree."""
    ca, cb = comparable(a, ignore=ignore), comparable(b, ignore=ignore)
    for key in sorted(set(ca) | set(cb)):
        if ca.get(key) != cb.get(key):
            return key, ca.get(key, "(missing)"), cb.get(key, "(missing)")
    return None


def config_values(configs: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """Every key of the configs, sorted, each with its value per config. A key that a run recorded before it existed
    reads as its default (that run trained with it); an unknown key absent from a config is None."""
    from rdfia_tui.engine.config import field_specs

    defaults = {spec.key: spec.default for spec in field_specs()}
    flats = [flatten_config(c) for c in configs]
    known = set().union(*flats) if flats else set()
    flats = [{**{k: defaults[k] for k in known if k in defaults and k not in f}, **f} for f in flats]
    keys = sorted(set().union(*flats)) if flats else []
    return {k: [f.get(k) for f in flats] for k in keys}


def differs(values: Sequence[Any]) -> bool:
    """Whether the values of one key are not all the same (a tuple and the equal JSON list are the same)."""
    return len({canonical(v) for v in values}) > 1


def config_differences(configs: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """The keys whose values are not the same in every config, each with its value per config (as config_values)."""
    return {k: values for k, values in config_values(configs).items() if differs(values)}
