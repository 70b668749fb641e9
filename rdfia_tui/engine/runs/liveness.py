"""live.json: a running run's pid, host, process start time and heartbeat, and whether that process is still alive.

The run rewrites live.json (atomically) about once a second with its heartbeat and where it is (epoch,
step). A reader on the same host asks the kernel: the pid must exist *and* have the recorded start time,
so a pid reused by another program after a reboot is not taken for the run. On another host (a runs
folder shared over the network) only the heartbeat can tell: older than STALE_S means lost.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rdfia_tui.engine.runs.files import atomic_write

LIVE_FILE = "live.json"
STALE_S = 60.0  # seconds without a heartbeat after which a run on another host is taken as lost


def _stat(pid: int) -> list[str] | None:
    """/proc/<pid>/stat's fields after the name (the name in parentheses may hold spaces); None where /proc cannot tell."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def process_start(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (clock ticks since boot), None where /proc cannot tell."""
    stat = _stat(pid)
    return stat[19] if stat and len(stat) > 19 else None  # field 22 of proc(5)


@dataclass(frozen=True)
class LiveState:
    """What live.json holds: ``started`` and ``heartbeat`` are Unix seconds; ``epochs_done`` of ``epochs`` and ``step``
    of ``steps`` in the epoch under way say where the run is."""

    pid: int
    host: str
    started: float
    process_start: str | None
    heartbeat: float
    epochs_done: int = 0
    epochs: int = 0
    step: int = 0
    steps: int = 0
    paused: bool = False

    @classmethod
    def now(cls) -> LiveState:
        """This process, starting now."""
        at = time.time()
        return cls(os.getpid(), socket.gethostname(), at, process_start(os.getpid()), at)

    def write(self, run_dir: Path) -> None:
        atomic_write(run_dir / LIVE_FILE, json.dumps(asdict(self)) + "\n")

    @property
    def progress(self) -> float:
        """How far the run is, 0-1 (epochs done plus this epoch's steps)."""
        if self.epochs <= 0:
            return 0.0
        within = self.step / self.steps if self.steps else 0.0
        return min(1.0, (self.epochs_done + within) / self.epochs)


def read_live(run_dir: Path) -> LiveState | None:
    """The run's live.json, None when it has none or it cannot be read."""
    try:
        data: Any = json.loads((Path(run_dir) / LIVE_FILE).read_text(encoding="utf-8"))
        known = {k: data[k] for k in LiveState.__dataclass_fields__ if k in data}
        return LiveState(**known)
    except (OSError, ValueError, TypeError):
        return None


def is_alive(state: LiveState, now: float | None = None) -> bool:
    """Whether the process that wrote ``state`` still runs (see the module's docstring)."""
    if state.host != socket.gethostname():
        return (time.time() if now is None else now) - state.heartbeat < STALE_S
    try:
        os.kill(state.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, another user's
    stat = _stat(state.pid)
    if stat is None:
        return True  # no /proc here: the pid exists, which is all that can be told
    if stat[0] in ("Z", "X"):
        return False  # it has ended; its parent has not reaped it yet
    current = stat[19] if len(stat) > 19 else None
    return current is None or state.process_start is None or current == state.process_start


def run_alive(run_dir: Path, summary: dict[str, Any] | None = None) -> bool:
    """Whether the process of the run in ``run_dir`` is alive: its live.json, or, for a run recorded before
    live.json, the pid and host of its summary.json. True when nothing can tell (another host, no pid)."""
    state = read_live(run_dir)
    if state is not None:
        return is_alive(state)
    if summary is None:
        try:
            summary = json.loads((Path(run_dir) / "summary.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return True
    pid, host = summary.get("pid"), summary.get("host")
    if not isinstance(pid, int) or host != socket.gethostname():
        return True
    return is_alive(LiveState(pid, str(host), 0.0, None, time.time()))
