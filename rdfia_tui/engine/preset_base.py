"""A preset built on another: how a document's keys are laid over its base's values.

One mechanism for presets (a top-level ``base``) and sweep files (``[sweep] base``): rdfia_tui.engine.presets
finds and loads the base (following the base's own ``base``), and ``overlay`` lays a document's tables over
its values, key by key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rdfia_tui.engine.config import SECTIONS, RunConfig


def overlay(base: RunConfig, raw: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` as a TOML mapping with ``raw``'s keys laid over it, table by table: a key ``raw`` leaves out keeps the base's value."""
    merged: dict[str, Any] = base.to_dict()
    for top, value in raw.items():
        if isinstance(value, Mapping) and isinstance(merged.get(top), dict):
            merged[top] = {**merged[top], **value}
        else:
            merged[top] = value
    return merged


def written_keys(raw: Mapping[str, Any]) -> list[str]:
    """The ``section.key`` names a document sets, in its order."""
    return [f"{top}.{key}" for top, table in raw.items() if top in SECTIONS and isinstance(table, Mapping) for key in table]


def changed_keys(base: RunConfig, raw: Mapping[str, Any]) -> list[str]:
    """The ``section.key`` names a document sets to a value other than its base's (1 and 1.0, a list and a tuple, are equal)."""
    values = base.to_dict()
    return [key for key in written_keys(raw) if _plain(_at(raw, key)) != _plain(_at(values, key))]


def _at(tables: Mapping[str, Any], key: str) -> Any:
    section, name = key.split(".", 1)
    return tables.get(section, {}).get(name)


def _plain(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def default_description(base: RunConfig, raw: Mapping[str, Any]) -> str:
    """What a preset without a description of its own is called: its base and the keys it changes."""
    keys = changed_keys(base, raw)
    return f"{base.name} with {', '.join(keys)} changed" if keys else f"same as {base.name}"


def as_preset(base: RunConfig, raw: Mapping[str, Any], *, default_name: str) -> dict[str, Any]:
    """``overlay``, with the name and description the document's own (see ``default_description`` when it has none)."""
    merged = overlay(base, raw)
    merged["name"] = raw.get("name", default_name)
    merged["description"] = raw.get("description", default_description(base, raw))
    return merged
