"""A name -> implementation registry whose entries may be imported lazily.

Names are known without importing their implementation, so validation and the
command line's ``--help`` never pay for ``import torch``.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


def nearest(word: str, options: list[str] | tuple[str, ...]) -> str | None:
    """The closest option to ``word`` (case aside: "Circles-MLP" finds "circles-mlp"), or None when nothing is close."""
    by_lower = {o.lower(): o for o in reversed(list(options))}
    found = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.5)
    return by_lower[found[0]] if found else None


def did_you_mean(word: str, options: list[str] | tuple[str, ...]) -> str:
    """A ``"; did you mean 'x'?"`` suffix (several when ``word`` begins several options), or an empty string."""
    starting = sorted(o for o in options if o.startswith(word)) if word else []
    if len(starting) > 1:
        shown = ", ".join(f"'{o}'" for o in starting[:6]) + (", …" if len(starting) > 6 else "")
        return f"; did you mean one of {shown}?"
    near = starting[0] if starting else nearest(word, options)
    return f"; did you mean '{near}'?" if near else ""


class Registry(Generic[T]):
    """Maps names to objects; an entry may be a ``"module:attribute"`` path resolved on use."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T | str] = {}

    def register(self, name: str, target: T | str | None = None) -> Callable[[T], T] | None:
        """Register ``target`` under ``name``; without a target, act as a decorator."""
        if name in self._entries:
            raise ValueError(f"{self.kind} '{name}' is registered twice")
        if target is None:

            def decorate(obj: T) -> T:
                self._entries[name] = obj
                return obj

            return decorate
        self._entries[name] = target
        return None

    def names(self) -> tuple[str, ...]:
        """The registered names, in registration order; nothing is imported."""
        return tuple(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def target_name(self, name: str) -> str:
        """The name of what ``name`` stands for ("tanh" → "Tanh"), without importing a lazy ``module:attribute`` entry."""
        entry = self._entries[name]
        return entry.rpartition(":")[2] if isinstance(entry, str) else entry.__name__

    def get(self, name: str) -> T:
        """The object registered as ``name``, a ``module:attribute`` entry imported on first use. Raises KeyError (not
        ConfigError: config validation refuses unknown names first) naming the allowed names and the nearest one."""
        try:
            entry = self._entries[name]
        except KeyError:
            allowed = ", ".join(self._entries)
            raise KeyError(f"unknown {self.kind} '{name}' (allowed: {allowed}){did_you_mean(name, self.names())}") from None
        if isinstance(entry, str):
            module, _, attribute = entry.partition(":")
            entry = getattr(importlib.import_module(module), attribute)
            self._entries[name] = entry
        return entry
