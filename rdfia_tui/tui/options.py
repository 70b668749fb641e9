"""What the command line tells the console when it opens."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

DEFAULT_PRESET = "circles-mlp"


@dataclass(frozen=True)
class AppOptions:
    """The preset and overrides the form opens on, where runs are recorded, where data is, and whether to start at once."""

    preset: str | None = None  # None: DEFAULT_PRESET
    overrides: tuple[str, ...] = ()  # "key=value", applied to the preset
    runs_dir: str | Path | None = None  # None: the default runs folder
    data_root: str | None = None
    start: bool = False  # start the first valid config at once (--start)

    def __post_init__(self) -> None:
        object.__setattr__(self, "overrides", tuple(self.overrides))  # a list is welcome, kept as a tuple

    @classmethod
    def merged(cls, options: AppOptions | None, fields: Mapping[str, Any]) -> AppOptions:
        """``options`` (the defaults when None) with ``fields`` in place of its own; an unknown field is a TypeError."""
        return replace(options or cls(), **fields)

    @property
    def preset_name(self) -> str:
        return self.preset or DEFAULT_PRESET
