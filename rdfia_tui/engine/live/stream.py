"""events.jsonl: each engine event as one JSON object per line, and the reader that turns the lines back.

A line is ``{"schema": 1, "type": "EpochEnded", "time": <Unix seconds>, ...the event's fields}``. A field's
value is written as JSON: tuples as lists, paths as strings, a non-finite float as the string "nan", "inf"
or "-inf" (strict JSON has no spelling for them). The reader rebuilds each event from its dataclass's
field types, so what it returns equals what was emitted. It ignores fields it does not know (written by a
newer version) and keeps a partial last line (a writer killed mid-line, or one still writing) for later.
"""

from __future__ import annotations

import json
import math
import threading
import time
import types
import typing
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import IO, Any

from rdfia_tui.engine import events as ev

SCHEMA = 1
EVENTS_FILE = "events.jsonl"
_TYPES = (ev.RunStarted, ev.BatchProgress, ev.EvaluationProgress, ev.EpochEnded, ev.SamplePredictions, ev.PlanePoints,
          ev.BoundaryUpdated, ev.Notice, ev.CommandTaken, ev.LrProbe, ev.RunFinished)  # fmt: skip
EVENT_TYPES: dict[str, type] = {cls.__name__: cls for cls in _TYPES}


class StreamError(ValueError):
    """A complete line of events.jsonl that is not an event this version can read."""


# ---- writing -----------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    """``value`` as JSON can hold it (see the module's docstring)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def encode(event: ev.Event, at: float | None = None) -> str:
    """One line of events.jsonl (with its newline) for ``event``; ``at`` is the Unix time (now when None)."""
    head = {"schema": SCHEMA, "type": type(event).__name__, "time": round(time.time() if at is None else at, 3)}
    return json.dumps({**head, **_plain(event)}, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n"


class EventWriter:
    """Appends events to one events.jsonl, a whole line per write, flushed at once; safe to call from several threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._file: IO[str] | None = open(path, "a", encoding="utf-8")  # noqa: SIM115

    def __call__(self, event: ev.Event) -> None:
        line = encode(event)
        with self._lock:
            if self._file is not None:
                self._file.write(line)
                self._file.flush()

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


# ---- reading -----------------------------------------------------------------------------------
def _build(kind: Any, value: Any) -> Any:
    """``value`` read back as the type ``kind`` (a field's annotation)."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (types.UnionType, typing.Union):
        if value is None:
            return None
        return _build(next(a for a in args if a is not type(None)), value)
    if kind is float:
        return float(value)
    if kind is int or kind is bool or kind is str:
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise StreamError(f"expected {kind.__name__}, got {value!r}")
        return value
    if kind is Path:
        return Path(value)
    if isinstance(kind, type) and is_dataclass(kind):
        return from_fields(kind, value)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_build(args[0], v) for v in value)
        return tuple(_build(a, v) for a, v in zip(args, value, strict=True))
    return value  # dict[str, Any], list[dict[str, Any]], Any: plain JSON, as written


def from_fields(cls: type, data: Any) -> Any:
    """An instance of the dataclass ``cls`` from a mapping; unknown keys are ignored, missing ones take their defaults."""
    if not isinstance(data, dict):
        raise StreamError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    known = {f.name: _build(hints[f.name], data[f.name]) for f in fields(cls) if f.name in data}
    try:
        return cls(**known)
    except TypeError as exc:  # a required field is missing
        raise StreamError(f"{cls.__name__}: {exc}") from None


def decode(line: str) -> ev.Event | None:
    """The event of one complete line; None for an event type this version does not know (a newer writer's).

    Raises StreamError for a line that is not JSON, has another schema, or has fields of the wrong type.
    """
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise StreamError(f"not JSON ({exc.msg})") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise StreamError(f"not an event of schema {SCHEMA}")
    cls = EVENT_TYPES.get(str(data.get("type")))
    if cls is None:
        return None
    try:
        return from_fields(cls, data)
    except (TypeError, ValueError, KeyError, StopIteration) as exc:
        raise StreamError(f"{cls.__name__}: {exc}") from None


class EventReader:
    """Reads an events.jsonl as it grows: each ``read()`` returns the events of the complete lines added since the last.

    A damaged line becomes a Notice naming its line number (so nothing is dropped silently); an unknown event
    type is counted in ``unknown``; a partial last line waits for its newline.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.line_number = 0
        self.unknown = 0
        self._partial = b""

    def read(self, superseded: frozenset[str] = frozenset()) -> list[ev.Event]:
        """The events of the complete lines added since the last read. Lines whose type is in ``superseded`` are
        decoded only for the last of each type (a replay draws only the last panel of each kind; decoding a long
        run's every decision-boundary grid would cost seconds)."""
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self.offset)
                chunk = fh.read()
        except FileNotFoundError:
            return []
        self.offset += len(chunk)
        *lines, self._partial = (self._partial + chunk).split(b"\n")
        last = {_type_of(raw): i for i, raw in enumerate(lines)} if superseded else {}
        found: list[ev.Event] = []
        for i, raw in enumerate(lines):
            self.line_number += 1
            kind = _type_of(raw) if superseded else ""
            event = None if kind in superseded and last.get(kind) != i else self._event(raw)
            if event is not None:
                found.append(event)
        return found

    def read_pending(self) -> bool:
        """Whether complete lines were added since the last ``read`` (a last look before a writer is called gone)."""
        try:
            return Path(self.path).stat().st_size > self.offset
        except OSError:
            return False

    def _event(self, raw: bytes) -> ev.Event | None:
        if not raw.strip():
            return None
        try:
            event = decode(raw.decode("utf-8"))
        except (StreamError, UnicodeDecodeError) as exc:
            return ev.Notice(f"{self.path.name} line {self.line_number} cannot be read ({exc}); it is skipped")
        if event is None:
            self.unknown += 1
        return event


def _type_of(raw: bytes) -> str:
    """The event type a line names, read from its head (``{"schema":1,"type":"…"``) without decoding it; "" if none."""
    head = raw[:80]
    start = head.find(b'"type":"')
    end = head.find(b'"', start + 8) if start >= 0 else -1
    return head[start + 8 : end].decode("ascii", "replace") if end > 0 else ""


def read_events(path: Path) -> list[ev.Event]:
    """Every event a (possibly partial) events.jsonl holds, in order."""
    return EventReader(path).read()
