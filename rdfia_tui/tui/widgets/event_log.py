"""The event log: started, finished, stopped, diverged, each with its run folder."""

from __future__ import annotations

import time

from textual.widgets import RichLog


def wall_clock() -> str:
    return time.strftime("%H:%M:%S")


class EventLog(RichLog):
    DEFAULT_CSS = """
    EventLog { height: 7; border-top: solid $primary-darken-2; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, wrap=True, markup=False, highlight=False, max_lines=500)
        self.entries: list[str] = []
        self.clock = lambda: wall_clock()  # looked up each time, so tests can fix it

    def add(self, text: str) -> None:
        self.entries.append(text)
        self.write(f"{self.clock()}  {text}")
