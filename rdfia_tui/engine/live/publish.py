"""What a run does while it goes, whoever started it: write its events to events.jsonl, take the commands
clients leave in its command folder, and keep live.json's heartbeat.

A background thread takes the commands (about ten times a second) and beats (about once a second), so a
run that is paused, evaluating or loading a batch still answers. Each command taken is applied to the
run's RunControl and acknowledged with a CommandTaken event, so every client sees it.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from rdfia_tui.engine.control import RunControl
from rdfia_tui.engine.errors import RecordWriteError
from rdfia_tui.engine.events import BatchProgress, CommandTaken, Emit, EpochEnded, Event, LrProbe, Notice, RunStarted, ignore
from rdfia_tui.engine.live.commands import Received, open_inbox, take
from rdfia_tui.engine.live.stream import EVENTS_FILE, EventWriter
from rdfia_tui.engine.runs.liveness import LiveState

POLL_S = 0.1  # seconds between looks at the command folder
BEAT_S = 1.0  # seconds between heartbeats


class Publisher:
    """Writes every event to events.jsonl before handing it on to ``forward``; the one emit of a published run."""

    def __init__(self, run_dir: Path, forward: Emit, control: RunControl) -> None:
        self.run_dir, self.forward, self.control = run_dir, forward, control
        self.inbox = open_inbox(run_dir)
        self.writer = EventWriter(run_dir / EVENTS_FILE)
        self.state = LiveState.now()
        self.state.write(run_dir)
        self._lock = threading.Lock()  # events come from the training thread and from the command thread
        self._closing = threading.Event()
        self._said: set[str] = set()  # troubles of the command thread, each said once
        self._thread = threading.Thread(target=self._watch, name="rdfia-tui commands", daemon=True)
        self._thread.start()

    def __call__(self, event: Event) -> None:
        with self._lock:
            self.writer(event)
            self.state = _where(self.state, event)
            self.forward(event)

    def close(self) -> None:
        """Stop taking commands and beating; close events.jsonl (its every line is whole) and remove the command
        folder, so a late client is told the run takes no more commands."""
        self._closing.set()
        self._thread.join()
        self.writer.close()
        shutil.rmtree(self.inbox, ignore_errors=True)

    def _watch(self) -> None:
        next_beat = time.monotonic() + BEAT_S
        while not self._closing.wait(POLL_S):
            try:
                for received in take(self.inbox):
                    self._answer(received)
            except OSError as exc:  # the folder itself went wrong: say so, keep beating, look again
                self._say_once(f"could not read the command folder ({exc.strerror or exc})")
            if time.monotonic() >= next_beat:
                self._beat()
                next_beat = time.monotonic() + BEAT_S

    def _answer(self, received: Received) -> None:
        command = received.command
        if command is None:
            self(Notice(f"refused a command ({received.sender}): {received.refused}"))
            return
        self.control.apply(command)
        self(CommandTaken(command.action, self.control.pause.is_set(), command.lr, received.sender))

    def _beat(self) -> None:
        try:
            replace(self.state, heartbeat=time.time()).write(self.run_dir)
        except RecordWriteError as exc:  # a heartbeat is not a record: the run goes on
            self._say_once(f"could not write live.json ({exc.reason}); clients may take this run for lost")

    def _say_once(self, message: str) -> None:
        if message not in self._said:
            self._said.add(message)
            self(Notice(message))


def _where(state: LiveState, event: Event) -> LiveState:
    """live.json's position fields after ``event``."""
    if isinstance(event, RunStarted):
        return replace(state, epochs=event.epochs, steps=event.steps_per_epoch)
    if isinstance(event, BatchProgress):
        return replace(state, epochs_done=event.epoch - 1, step=event.step, steps=event.steps)
    if isinstance(event, EpochEnded):
        return replace(state, epochs_done=event.metrics.epoch, step=0)
    if isinstance(event, CommandTaken):
        return replace(state, paused=event.paused)
    if isinstance(event, LrProbe):  # an lr range test: its step of the sweep
        return replace(state, step=event.step, steps=event.steps)
    return state


@contextmanager
def published(run_dir: Path, forward: Emit, control: RunControl, enabled: bool = True) -> Iterator[Emit]:
    """While inside, the run in ``run_dir`` publishes and takes commands; yields the emit the run must use.
    Not ``enabled`` (a rank other than 0 of a distributed run): nothing is published or shown, and the emit drops every event."""
    if not enabled:
        yield ignore
        return
    publisher = Publisher(run_dir, forward, control)
    try:
        yield publisher
    finally:
        publisher.close()
