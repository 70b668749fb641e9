"""The runs filter: ``optim.name=adam test_acc>0.7, status=completed`` read into clauses that all must hold.

Grammar: clauses ``KEY OP VALUE`` separated by spaces or commas (AND); ``OP`` is one of ``= != > >= < <= ~``
(``~``: contains, ignoring case; ``==`` is ``=``). ``KEY`` is a listing column (runs.fields.LISTING_FIELDS:
run, preset, status, epochs, test_acc, best_test_acc, best_epoch, train_acc, val_acc, time, started) or any
config key (``optim.lr``). A value with spaces goes in double quotes; a list in brackets (``model.hidden=[8,8]``).

Accuracies are 0-1 fractions, as in the records: ``test_acc>0.7``, or in percent with the sign, ``test_acc>70%``.
``test_acc>70`` is refused with that hint, never read as a percent silently. A run without the value (unreadable,
not yet tested) matches no clause on it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rdfia_tui.engine.config_compare import value_text
from rdfia_tui.engine.registry import did_you_mean
from rdfia_tui.engine.runs.fields import Field, Kind, QueryError, find_field

ORDERING = (">=", "<=", ">", "<")
EQUALITY = ("=", "!=")
CONTAINS = "~"
_CLAUSE = re.compile(
    r"""\s*(?P<key>[A-Za-z_][\w.]*)\s*(?P<op>==|!=|>=|<=|=|>|<|~)\s*(?P<value>"[^"]*"|\[[^\]]*\]|[^\s,"]+)\s*(?:,|(?=\s)|$)"""
)
EXAMPLE = "write KEY OP VALUE, e.g. 'optim.name=adam test_acc>0.7' (OP: = != > >= < <= ~)"

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
}


@dataclass(frozen=True)
class Clause:
    """``field op value``; ``value`` is already of the field's kind (a float for numbers and fractions)."""

    field: Field
    op: str
    value: Any
    text: str

    def matches(self, summary: Mapping[str, Any]) -> bool:
        """Whether a listing summary holds; False when the run has no value for the field."""
        got = self.field.read(summary)
        if got is None or (isinstance(got, float) and math.isnan(got)):
            return False
        return _MATCHERS[self.field.kind](got, self.op, self.value)


@dataclass(frozen=True)
class Query:
    """Every clause of a filter expression; the empty expression matches every run."""

    clauses: tuple[Clause, ...] = ()
    text: str = ""

    def matches(self, summary: Mapping[str, Any]) -> bool:
        """Whether every clause holds for a listing summary (runs.listing.read_run's mapping)."""
        return all(c.matches(summary) for c in self.clauses)


def parse_query(text: str) -> Query:
    """Read a filter expression. Raises QueryError (one line, what to write instead) for text that is not
    ``KEY OP VALUE``, an unknown key (the closest names suggested), a value of the wrong kind (text compared with a
    number, an accuracy above 1 without %), an operator the kind has no meaning for, or an unknown status/choice."""
    clauses, pos = [], 0
    text = text.strip()
    while pos < len(text):
        found = _CLAUSE.match(text, pos)
        if found is None or found.end() == pos:
            rest = text[pos:].strip().split()[0] if text[pos:].strip() else text[pos:]
            raise QueryError(f"cannot read '{rest}'; {EXAMPLE}")
        clauses.append(_clause(found["key"], "=" if found["op"] == "==" else found["op"], _unquote(found["value"])))
        pos = found.end()
    return Query(tuple(clauses), text)


def _unquote(value: str) -> str:
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value


def _clause(key: str, op: str, raw: str) -> Clause:
    field = find_field(key)
    text = f"{key}{op}{raw}"
    allowed = {
        Kind.NUMBER: (*EQUALITY, *ORDERING),
        Kind.FRACTION: (*EQUALITY, *ORDERING),
        Kind.DATE: (*EQUALITY, *ORDERING, CONTAINS),
        Kind.TEXT: (*EQUALITY, CONTAINS),
        Kind.BOOL: EQUALITY,
        Kind.LIST: (*EQUALITY, CONTAINS),
    }[field.kind]
    if op not in allowed:
        raise QueryError(f"{text}: {key} is {_kind_words(field.kind)}; use {' '.join(allowed)}")
    return Clause(field, op, _PARSERS[field.kind](field, key, op, raw), text)


def _kind_words(kind: Kind) -> str:
    return {
        Kind.NUMBER: "a number",
        Kind.FRACTION: "a 0-1 fraction",
        Kind.TEXT: "text",
        Kind.DATE: "a date",
        Kind.BOOL: "true or false",
        Kind.LIST: "a list",
    }[kind]


def _number(field: Field, key: str, op: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise QueryError(f"{key}{op}{raw}: {key} is a number; '{raw}' is not one") from None
    if not math.isfinite(value):
        raise QueryError(f"{key}{op}{raw}: give a finite number")
    return value


def _fraction(field: Field, key: str, op: str, raw: str) -> float:
    percent = raw.endswith("%")
    try:
        value = float(raw[:-1] if percent else raw)
    except ValueError:
        raise QueryError(f"{key}{op}{raw}: {key} is an accuracy (a 0-1 fraction such as 0.7, or 70%); '{raw}' is not one") from None
    if not math.isfinite(value):
        raise QueryError(f"{key}{op}{raw}: an accuracy is a finite fraction between 0 and 1 (or 0% to 100%)")
    if percent:
        value /= 100
    elif value > 1:  # 70 is surely 70 %, but a silent conversion would hide a slip such as 7 for 0.7
        raise QueryError(f"{key}{op}{raw}: accuracies are 0-1 fractions; write {key}{op}{value / 100:g} or {key}{op}{raw}%")
    if not 0 <= value <= 1:
        raise QueryError(f"{key}{op}{raw}: an accuracy is between 0 and 1 (0% and 100%)")
    return value


def _text(field: Field, key: str, op: str, raw: str) -> str:
    if field.choices is not None and op in EQUALITY:
        by_lower = {c.lower(): c for c in field.choices}
        if raw.lower() not in by_lower:
            hint = did_you_mean(raw.lower(), list(field.choices)) or f"; one of {', '.join(field.choices)}"
            raise QueryError(f"{key}{op}{raw}: no {key} '{raw}'{hint}")
    if field.choices is not None and op == CONTAINS and not any(raw.lower() in c.lower() for c in field.choices):
        raise QueryError(f"{key}{op}{raw}: no {key} contains '{raw}'; one of {', '.join(field.choices)}")
    return raw.lower()


DATE_FORMATS = "2026, 2026-11, 2026-11-27, 2026-11-27T10, 2026-11-27T10:00 or 2026-11-27T10:00:05"
_DATE_FILL = "2000-01-01T00:00:00"  # what a date given to the month, the day, the hour... is completed with to check it


def _date(field: Field, key: str, op: str, raw: str) -> str:
    value = raw.replace(" ", "T")
    if op == CONTAINS:
        return value
    if not re.fullmatch(r"\d{4}(-\d\d(-\d\d(T\d\d(:\d\d(:\d\d)?)?)?)?)?", value):
        raise QueryError(f"{key}{op}{raw}: {key} is a date; write it as {DATE_FORMATS}")
    try:  # the pattern lets through what no calendar has: month 13, 2026-02-30, 25:00
        datetime.fromisoformat(value + _DATE_FILL[len(value) :])
    except ValueError:
        raise QueryError(f"{key}{op}{raw}: '{raw}' is not a real date or time; write it as {DATE_FORMATS}") from None
    return value


def _bool(field: Field, key: str, op: str, raw: str) -> bool:
    words = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
    if raw.lower() not in words:
        raise QueryError(f"{key}{op}{raw}: {key} is true or false; '{raw}' is neither")
    return words[raw.lower()]


def _list(field: Field, key: str, op: str, raw: str) -> str:
    if op == CONTAINS:
        return raw.lower()
    inner = raw[1:-1] if raw.startswith("[") and raw.endswith("]") else raw
    return "[" + ", ".join(part.strip().lower() for part in inner.split(",") if part.strip()) + "]"


_PARSERS: dict[Kind, Callable[[Field, str, str, str], Any]] = {
    Kind.NUMBER: _number,
    Kind.FRACTION: _fraction,
    Kind.TEXT: _text,
    Kind.DATE: _date,
    Kind.BOOL: _bool,
    Kind.LIST: _list,
}


def _match_number(got: Any, op: str, want: float) -> bool:
    if isinstance(got, bool) or not isinstance(got, int | float):
        return False  # a hand-edited record with text where a number belongs matches nothing
    if op in EQUALITY:
        same = math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12)
        return same if op == "=" else not same
    return _COMPARE[op](got, want)


def _match_text(got: Any, op: str, want: str) -> bool:
    have = value_text(got).lower()
    return want in have if op == CONTAINS else _COMPARE[op](have, want)


def _match_date(got: Any, op: str, want: str) -> bool:
    have = str(got)
    if op == CONTAINS:
        return want in have
    # to the precision given: 2026-11-27 is the whole day, so started>2026-11-27 begins on the 28th
    return _COMPARE[op](have[: len(want)], want)


def _match_bool(got: Any, op: str, want: bool) -> bool:
    return (bool(got) == want) == (op == "=")


_MATCHERS: dict[Kind, Callable[[Any, str, Any], bool]] = {
    Kind.NUMBER: _match_number,
    Kind.FRACTION: _match_number,
    Kind.TEXT: _match_text,
    Kind.DATE: _match_date,
    Kind.BOOL: _match_bool,
    Kind.LIST: _match_text,
}
