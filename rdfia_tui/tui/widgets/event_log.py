"""The event log: started, finished, stopped, diverged, each with its run folder.

Lines wrap at the width the text really has: the scrollbar's gutter is always reserved (so a
scrollbar that appears later hides nothing), and every entry is wrapped again when the log changes
size.
"""

from __future__ import annotations

import time

from textual import events
from textual.widgets import RichLog

from rdfia_tui.engine.text_checks import shown


def wall_clock() -> str:
    return time.strftime("%H:%M:%S")


class EventLog(RichLog):
    DEFAULT_CSS = """
    EventLog { height: 7; border-top: solid $primary-darken-2; scrollbar-gutter: stable; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        # min_width=1: RichLog's default (78) wraps every line at 78 columns, whatever the log's own width
        super().__init__(id=id, wrap=True, markup=False, highlight=False, max_lines=500, min_width=1)
        self.entries: list[str] = []
        self.lines_shown: list[str] = []  # each entry with its time, as written
        self.clock = lambda: wall_clock()  # looked up each time, so tests can fix it
        self._width = 0

    def add(self, text: str) -> None:
        text = shown(text, allowed="\n")  # a name or key quoted from a preset never acts on the terminal
        self.entries.append(text)
        line = f"{self.clock()}  {text}"
        self.lines_shown.append(line)
        self.write(line)

    def on_resize(self, event: events.Resize) -> None:
        """Wrap every entry again for the new width (RichLog wraps a line once, when it is written)."""
        if event.size.width != self._width:
            self._width = event.size.width
            self.clear()
            for line in self.lines_shown[-self.max_lines :]:
                self.write(line)
