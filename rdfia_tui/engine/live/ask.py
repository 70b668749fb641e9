"""Send one command to a run in another process and wait for its acknowledgement (``rdfia-tui control``)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from rdfia_tui.engine.control import Command
from rdfia_tui.engine.errors import RecordError
from rdfia_tui.engine.events import CommandTaken, RunFinished
from rdfia_tui.engine.live.commands import send
from rdfia_tui.engine.live.follow import latest_segment
from rdfia_tui.engine.live.stream import EVENTS_FILE, EventReader
from rdfia_tui.engine.runs.liveness import run_alive


def ask(run_dir: Path, command: Command, *, timeout: float = 10.0, poll: float = 0.05) -> CommandTaken:
    """Send ``command`` and return the run's CommandTaken for it.

    Raises RecordError (one line) when the run has ended or its process is gone, when the command cannot be
    written, or when no acknowledgement comes within ``timeout`` seconds.
    """
    reader = EventReader(Path(run_dir) / EVENTS_FILE)
    # a resumed run's stream holds its earlier segments' RunFinished: only the latest segment says whether it ended
    if any(isinstance(event, RunFinished) for event in latest_segment(reader.read())):
        raise RecordError(f"{run_dir} has finished; it takes no more commands")
    if not run_alive(run_dir):
        how = f"resume it with 'rdfia-tui resume {run_dir}'" if (Path(run_dir) / "checkpoint.pt").is_file() else "it kept no checkpoint"
        raise RecordError(f"{run_dir} is lost (its process is gone); {how}")
    send(run_dir, command)
    me, deadline = f"pid {os.getpid()}", time.monotonic() + timeout
    while time.monotonic() < deadline:
        for event in reader.read():
            if isinstance(event, CommandTaken) and event.sender == me and event.action == command.action:
                return event
            if isinstance(event, RunFinished):
                raise RecordError(f"{run_dir} ended ({event.status}) before it took the command")
        time.sleep(poll)
    raise RecordError(f"the command was sent, but {run_dir} did not acknowledge it within {timeout:g} s (it may still take it: "
                      "a paused or busy run answers within a second; 'rdfia-tui runs' says whether it is alive)")  # fmt: skip
