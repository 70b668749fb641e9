"""What a screen hands back when it closes (``dismiss``), for the screen or app that opened it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from textual.message import Message

from rdfia_tui.engine.config import RunConfig


@dataclass(frozen=True)
class RunsChoice:
    """The runs screen's answer: open a recorded run's config in the form, resume the run in its folder, or
    attach to it (follow a live run, or show a finished one)."""

    action: Literal["open", "resume", "attach"]
    run_dir: Path
    config: RunConfig | None = None  # "open": the run's config, read before the screen closes

    @classmethod
    def open(cls, run_dir: Path, config: RunConfig) -> RunsChoice:
        return cls("open", run_dir, config)

    @classmethod
    def resume(cls, run_dir: Path) -> RunsChoice:
        return cls("resume", run_dir)

    @classmethod
    def attach(cls, run_dir: Path) -> RunsChoice:
        return cls("attach", run_dir)


class RunsChosen(Message):
    """A runs screen opened by another screen (a sweep's runs) passes its choice on to the app."""

    def __init__(self, choice: RunsChoice) -> None:
        super().__init__()
        self.choice = choice
