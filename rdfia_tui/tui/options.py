"""What the command line tells the console when it opens."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_PRESET = "circles-mlp"


@dataclass(frozen=True)
class AppOptions:
    """The preset and overrides the form opens on, where runs are recorded, where data is, and whether to start at once."""

    preset: str | None = None  # None: DEFAULT_PRESET
    overrides: tuple[str, ...] = ()  # "key=value", applied to the preset
    runs_dir: str | Path | None = None  # None: the default runs folder
    data_root: str | None = None
    start: bool = False  # start the first valid config at once (--start)
    attach: Path | None = None  # a run folder to follow at once (rdfia-tui attach)

    def __post_init__(self) -> None:
        object.__setattr__(self, "overrides", tuple(self.overrides))  # a list is welcome, kept as a tuple

    @property
    def preset_name(self) -> str:
        return self.preset or DEFAULT_PRESET
