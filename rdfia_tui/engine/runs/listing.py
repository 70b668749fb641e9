"""Every run folder under a runs dir, readable or not: nothing is hidden, an unreadable or lost run says why."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

from rdfia_tui.engine.runs.status import RunStatus
from rdfia_tui.engine.runs.summary import SummaryUnreadable, read_summary

UNREADABLE = RunStatus.UNREADABLE
LOST = RunStatus.LOST


def _unreadable(folder: Path, reason: str) -> dict[str, Any]:
    return {"run_dir": str(folder), "status": UNREADABLE, "message": reason, "preset": "?"}


def read_run(folder: Path) -> dict[str, Any]:
    """The summary of one run folder; an unreadable one becomes {"status": "unreadable", "message": why}."""
    try:
        summary = read_summary(folder)
    except SummaryUnreadable as exc:
        return _unreadable(folder, exc.reason)
    except OSError as exc:  # the folder went away, or lost its permissions, between the scan and the read
        return _unreadable(folder, f"summary.json: {exc.strerror or exc}")
    if not (folder / "config.toml").is_file():
        return _unreadable(folder, "no config.toml (deleted?): the run can be neither opened nor resumed")
    summary["run_dir"] = str(folder)  # where it is now, even if the folder was moved
    if summary.get("status") == RunStatus.RUNNING and process_gone(summary):
        summary["status"] = LOST
        summary["message"] = f"the process that ran it (pid {summary['pid']}) is gone (killed, or the machine restarted)"
    return summary



def process_gone(summary: dict[str, Any]) -> bool:
    """True when the summary was written on this machine by a process that no longer exists."""
    pid, host = summary.get("pid"), summary.get("host")
    if not isinstance(pid, int) or host != socket.gethostname():
        return False  # another machine's run (a shared folder), or a record from before pids were kept
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False


def is_run_folder(folder: Path) -> bool:
    """A folder with a run's records (a sweep folder has sweep.json and is not one); unreadable folders count."""
    if not os.access(folder, os.R_OK | os.X_OK):
        return True
    return (folder / "summary.json").exists() or (folder / "config.toml").exists()


def list_runs(runs_dir: Path) -> list[dict[str, Any]]:
    """Summaries of every run folder under ``runs_dir``, oldest first.

    Nothing is hidden: a run whose records cannot be read is listed with status "unreadable"
    and the reason in "message".
    """
    if not runs_dir.is_dir():
        return []
    found = []
    for child in sorted(runs_dir.iterdir()):
        if not child.is_dir() or not is_run_folder(child):
            continue
        if not os.access(child, os.R_OK | os.X_OK):
            found.append(_unreadable(child, "the folder cannot be read (permission denied)"))
        elif not (child / "summary.json").exists():
            found.append(_unreadable(child, "no summary.json (the run was stopped before its first record)"))
        else:
            found.append(read_run(child))
    return found
