"""Every run folder under a runs dir, readable or not: nothing is hidden, an unreadable or lost run says why."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from rdfia_tui.engine.runs.liveness import LiveState, read_live, run_alive
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
    if summary.get("status") == RunStatus.RUNNING:
        live = read_live(folder)
        if run_alive(folder, summary):
            if live is not None:
                summary["live"] = live  # where the run is now (the summary holds its last epoch)
        else:
            summary["status"] = LOST
            pid = live.pid if live is not None else summary.get("pid")
            after = f"after epoch {summary.get('epochs_completed', 0)}"
            summary["message"] = f"the process that ran it (pid {pid}) is gone (killed, or the machine restarted) {after}"
    return summary



def is_lr_find(summary: dict[str, Any]) -> bool:
    """Whether ``summary`` is an lr range test's (summary.json has ``lr_find``, still empty in a record written before
    the range was): such a run trains no epoch."""
    return isinstance(summary.get("lr_find"), dict)


def lr_find_position(summary: dict[str, Any]) -> str:
    """An lr range test's place in a runs table: "lr-find", with "step N/M" while it runs."""
    live = summary.get("live")
    return f"lr-find {live.step}/{live.steps}" if isinstance(live, LiveState) and live.steps else "lr-find"


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


def _with_sweep_points(runs_dir: Path) -> list[dict[str, Any]]:
    """list_runs of ``runs_dir`` and of each sweep folder in it (a sweep's points are run folders inside it)."""
    found = list_runs(runs_dir)
    if runs_dir.is_dir():
        for child in sorted(runs_dir.iterdir()):
            if child.is_dir() and (child / "sweep.json").is_file():
                found.extend(list_runs(child))
    return found


def live_runs(runs_dir: Path) -> list[dict[str, Any]]:
    """The runs (sweep points included) whose process is alive now, the most recently started first."""
    live = [s for s in _with_sweep_points(runs_dir) if s.get("status") == RunStatus.RUNNING]
    return sorted(live, key=lambda s: str(s.get("started_at", "")), reverse=True)


def find_run(runs_dir: Path, which: str, *, training_first: bool = False) -> Path:
    """``which`` as a run folder (a path, or a name in ``runs_dir`` as 'rdfia-tui runs' lists it): "latest" is the
    most recently started live run, or else the newest run folder; a
    sweep folder means its point in training. ``training_first``: "latest" passes over lr range tests (is_lr_find)
    while there is any other run.

    Raises RecordError (one line) when there is no such run.
    """
    from rdfia_tui.engine.errors import RecordError

    if which != "latest":
        folder = Path(which).expanduser()
        if not folder.is_dir():  # a name as 'rdfia-tui runs' lists it: a run, or a point of a sweep in runs_dir
            named = [runs_dir / which, *sorted(runs_dir.glob(f"*/{which}"))] if which and "/" not in which else []
            folder = next((f for f in named if f.is_dir()), folder)
        if not folder.is_dir():
            raise RecordError(f"{folder} does not exist; give a run folder that 'rdfia-tui runs' lists, or 'latest'")
        if (folder / "sweep.json").is_file():  # a sweep: the point training now
            points = live_runs(folder)
            if not points:
                raise RecordError(f"{folder} is a sweep folder with no point training now; give one of its run folders")
            return Path(points[0]["run_dir"])
        if not (folder / "summary.json").is_file():
            raise RecordError(f"{folder} is not a run folder (no summary.json); give a folder that 'rdfia-tui runs' lists, or 'latest'")
        return folder
    live, readable = live_runs(runs_dir), [s for s in _with_sweep_points(runs_dir) if s.get("status") != UNREADABLE]
    if training_first and any(not is_lr_find(s) for s in readable):
        live, readable = [s for s in live if not is_lr_find(s)], [s for s in readable if not is_lr_find(s)]
    if live:
        return Path(live[0]["run_dir"])
    if not readable:
        raise RecordError(f"no runs in {runs_dir} yet; start one with 'rdfia-tui run --detach circles-mlp'")
    # started in the same second (two points of a sweep): the later name (…-2) is the newer
    return Path(max(readable, key=lambda s: (str(s.get("started_at", "")), str(s.get("run_dir", ""))))["run_dir"])
