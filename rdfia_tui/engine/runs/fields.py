"""What a listed run can be filtered and sorted by: its listing columns and every config key, each with its kind."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from rdfia_tui.engine.errors import RdfiaError
from rdfia_tui.engine.registry import did_you_mean
from rdfia_tui.engine.runs.status import RunStatus


class QueryError(RdfiaError):
    """A filter or sort expression that cannot be read; the message says what to write instead."""

    exit_code = 2


class Kind(StrEnum):
    """How a field's values compare: numbers, 0-1 accuracy fractions, text, ISO dates, flags, lists."""

    NUMBER = "number"
    FRACTION = "fraction"
    TEXT = "text"
    DATE = "date"
    BOOL = "bool"
    LIST = "list"


@dataclass(frozen=True)
class Field:
    """One thing a run has: its name in expressions, its kind, how to read it from a listing summary, and the names
    a text value may take (None: any)."""

    name: str
    kind: Kind
    read: Callable[[Mapping[str, Any]], Any]
    choices: tuple[str, ...] | None = None


def _last_epoch(key: str) -> Callable[[Mapping[str, Any]], Any]:
    def read(summary: Mapping[str, Any]) -> Any:
        rows = summary.get("epochs") or []
        return rows[-1].get(key) if rows and isinstance(rows[-1], Mapping) else None

    return read


def _get(key: str) -> Callable[[Mapping[str, Any]], Any]:
    return lambda summary: summary.get(key)


# The listing's columns (summary.json's keys, and the run folder's name); accuracies are 0-1 fractions.
LISTING_FIELDS: tuple[Field, ...] = (
    Field("run", Kind.TEXT, lambda s: Path(str(s.get("run_dir", ""))).name or None),
    Field("preset", Kind.TEXT, _get("preset")),
    Field("status", Kind.TEXT, _get("status"), tuple(s.value for s in RunStatus)),
    Field("epochs", Kind.NUMBER, _get("epochs_completed")),
    Field("test_acc", Kind.FRACTION, _get("final_test_acc")),
    Field("best_test_acc", Kind.FRACTION, _get("best_test_acc")),
    Field("best_epoch", Kind.NUMBER, _get("best_epoch")),
    Field("train_acc", Kind.FRACTION, _last_epoch("train_acc")),
    Field("val_acc", Kind.FRACTION, _last_epoch("val_acc")),
    Field("time", Kind.NUMBER, _get("duration_s")),
    Field("started", Kind.DATE, _get("started_at")),
)
# Other spellings of the same columns: summary.json's own keys, and the table headers.
ALIASES = {
    "final_test_acc": "test_acc",
    "final_test": "test_acc",
    "best_test": "best_test_acc",
    "duration_s": "time",
    "started_at": "started",
    "date": "started",
    "epochs_completed": "epochs",
}


def _config_field(spec: Any) -> Field:
    kind = {bool: Kind.BOOL, int: Kind.NUMBER, float: Kind.NUMBER, str: Kind.TEXT}.get(spec.type, Kind.LIST)
    default = spec.default

    def read(summary: Mapping[str, Any]) -> Any:
        config = summary.get("config")
        if not isinstance(config, Mapping):
            return None  # an unreadable run has no config
        section = config.get(spec.section)
        # a key a run recorded before it existed reads as its default: that run trained with it
        return section.get(spec.name, default) if isinstance(section, Mapping) else default

    return Field(spec.key, kind, read, spec.choices)


@functools.cache
def all_fields() -> dict[str, Field]:
    """Every field by name: the listing's columns, then every config key (``optim.name``) from config.field_specs."""
    from rdfia_tui.engine.config import field_specs

    return {f.name: f for f in (*LISTING_FIELDS, *(_config_field(spec) for spec in field_specs()))}


def find_field(name: str) -> Field:
    """The field called ``name`` (or an alias of it). Raises QueryError, with the closest names, for an unknown one."""
    fields = all_fields()
    found = fields.get(ALIASES.get(name, name))
    if found is None:
        columns = ", ".join(f.name for f in LISTING_FIELDS)
        hint = did_you_mean(name, list(fields)) or f"; use a column ({columns}) or a config key such as optim.lr"
        raise QueryError(f"unknown key '{name}'{hint}")
    return found


def sort_value(field: Field, value: Any) -> Any:
    """A value of ``field`` as a sort key: numbers as floats, text without case, lists as tuples."""
    if field.kind in (Kind.NUMBER, Kind.FRACTION):
        return float(value)
    if field.kind is Kind.BOOL:
        return int(bool(value))
    if field.kind is Kind.LIST:
        return tuple(value) if isinstance(value, list | tuple) else (value,)
    return str(value).lower()


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def sort_runs(runs: Sequence[Mapping[str, Any]], column: str, *, descending: bool = False) -> list[Mapping[str, Any]]:
    """``runs`` ordered by ``column`` (a field name), ascending unless ``descending``; runs without a value for it (an
    unreadable run, a run not yet tested) come last either way, in their given order. Raises QueryError for an
    unknown column."""
    field = find_field(column)
    keyed = [(field.read(run), run) for run in runs]
    have = [(v, r) for v, r in keyed if _present(v)]
    lack = [r for v, r in keyed if not _present(v)]
    try:
        have.sort(key=lambda pair: sort_value(field, pair[0]), reverse=descending)
    except (TypeError, ValueError):  # a hand-edited record with a value of another type: order by its text
        have.sort(key=lambda pair: str(pair[0]), reverse=descending)
    return [r for _, r in have] + lack
