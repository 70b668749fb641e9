"""A client's side of a run in another process: replay its events.jsonl, then follow it live and relay commands."""

from __future__ import annotations

import time
from dataclasses import replace
from enum import StrEnum
from pathlib import Path

from rdfia_tui.engine.control import Command, RunControl
from rdfia_tui.engine.errors import RecordError
from rdfia_tui.engine.events import (
    BatchProgress,
    BoundaryUpdated,
    Emit,
    EvaluationProgress,
    Event,
    Notice,
    RunFinished,
    RunStarted,
    SamplePredictions,
)
from rdfia_tui.engine.live.commands import send
from rdfia_tui.engine.live.stream import EVENTS_FILE, EventReader
from rdfia_tui.engine.runs.liveness import read_live, run_alive
from rdfia_tui.engine.runs.status import RunStatus
from rdfia_tui.engine.runs.summary import read_summary

# Seconds between looks at events.jsonl. Each look hands on what arrived since the last as one batch, with
# consecutive progress events merged (coalesced): a client drawing at 5 updates a second, rather than at the
# run's 10, leaves the run the CPU it would take (docs/benchmarks.md, UI overhead).
POLL_S = 0.2
ALIVE_CHECK_S = 1.0  # seconds of silence between asks whether the run's process is still there


class Followed(StrEnum):
    """How following a run ended: it finished (RunFinished read), it was lost, or the client detached."""

    FINISHED = "finished"
    LOST = "lost"
    DETACHED = "detached"


def coalesced(events: list[Event]) -> list[Event]:
    """``events`` with each run of consecutive BatchProgress merged into its last (the per-step losses of all of
    them kept, in order), and each run of consecutive EvaluationProgress of one split into its last."""
    out: list[Event] = []
    for event in events:
        last = out[-1] if out else None
        if isinstance(event, BatchProgress) and isinstance(last, BatchProgress) and last.epoch == event.epoch:
            out[-1] = replace(event, losses=last.losses + event.losses)
        elif isinstance(event, EvaluationProgress) and isinstance(last, EvaluationProgress) and last.split == event.split:
            out[-1] = event
        else:
            out.append(event)
    return out


REPLACED = (BoundaryUpdated, SamplePredictions)  # each one replaces the last on screen: a replay needs only the last


def for_replay(history: list[Event]) -> list[Event]:
    """``history`` as a client needs it to draw the run so far: every event but the progress of evaluations that
    ended and the panels a later one replaced, with each epoch's progress merged (coalesced). A long run's replay
    then costs a few events per epoch, not one per progress report."""
    last = {kind: max((i for i, e in enumerate(history) if isinstance(e, kind)), default=-1) for kind in REPLACED}
    kept = [e for i, e in enumerate(history)
            if not isinstance(e, EvaluationProgress) and not (isinstance(e, REPLACED) and i != last[type(e)])]  # fmt: skip
    return coalesced(kept)


def latest_segment(events: list[Event]) -> list[Event]:
    """The events from the last RunStarted on: a resumed run appends a new RunStarted, then replays its history."""
    starts = [i for i, event in enumerate(events) if isinstance(event, RunStarted)]
    return events[starts[-1] :] if starts else events


def _send_or_say(run_dir: Path, command: Command, emit: Emit) -> None:
    """Send ``command``; one that cannot be written (the run has just ended) becomes a Notice, not an error."""
    try:
        send(run_dir, command)
    except RecordError as exc:
        emit(Notice(f"{command.action} not sent: {exc}"))


def lost(run_dir: Path) -> RunFinished:
    """The RunFinished a client gives a run whose process is gone: status "lost", with its recorded summary."""
    if not run_dir.is_dir():
        return RunFinished(run_dir, RunStatus.LOST, "the run folder was deleted; its process stops at its next record")
    try:
        summary = read_summary(run_dir)
    except RecordError:
        summary = {}
    done = summary.get("epochs_completed", 0)
    resumable = (run_dir / "checkpoint.pt").is_file()
    how = f"resume it with 'rdfia-tui resume {run_dir}'" if resumable else "it kept no checkpoint to resume from"
    message = f"the run's process is gone (killed, or its machine restarted) after epoch {done}; {how}"
    return RunFinished(run_dir, RunStatus.LOST, message, summary)


def check_followable(run_dir: Path) -> None:
    """Raise RecordError (one line) for a run folder recorded before runs published their events."""
    if not (Path(run_dir) / EVENTS_FILE).exists() and read_live(run_dir) is None:
        raise RecordError(f"{Path(run_dir).name} has no {EVENTS_FILE}: it was recorded before runs published their events; "
                          "the runs screen shows its curves (space)")  # fmt: skip


def follow(run_dir: Path, emit: Emit, control: RunControl, *, poll: float = POLL_S) -> Followed:
    """Emit the run's history (its latest segment), then each new event until it finishes, is lost, or
    ``control.detach`` is set. Commands sent through ``control`` go to the run's command folder meanwhile.

    A run whose process is gone without a RunFinished is ended here with a RunFinished of status "lost".
    A command that cannot be written (the run ended meanwhile) is emitted as a Notice. Raises RecordError for a run
    folder recorded before runs published their events.
    """
    run_dir = Path(run_dir)
    check_followable(run_dir)
    reader = EventReader(run_dir / EVENTS_FILE)
    history = latest_segment(reader.read(superseded=frozenset(kind.__name__ for kind in REPLACED)))
    for event in for_replay(history):
        emit(event)
    if any(isinstance(event, RunFinished) for event in history):
        return Followed.FINISHED
    control.bind_relay(lambda command: _send_or_say(run_dir, command, emit))
    quiet_since = time.monotonic()
    while not control.detach.wait(poll):
        events = reader.read()
        for event in coalesced(events):
            emit(event)
            if isinstance(event, RunFinished):
                return Followed.FINISHED
        if events:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= ALIVE_CHECK_S:
            quiet_since = time.monotonic()
            if not run_dir.is_dir() or (not run_alive(run_dir) and not reader.read_pending()):
                emit(lost(run_dir))
                return Followed.LOST
    return Followed.DETACHED
