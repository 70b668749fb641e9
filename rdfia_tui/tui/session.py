"""The app's state about the run it follows (or the last one): its controls, whether it runs, where it records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdfia_tui.engine.control import Command, RunControl
from rdfia_tui.engine.events import CommandTaken, EpochEnded, Event, RunFinished, RunStarted
from rdfia_tui.engine.runs.status import RunStatus


@dataclass
class RunSession:
    """Owned by the app, which starts (or attaches to) and steers the run; the main screen only reads it.

    ``remote``: the run is a process of its own (started from here, or attached to), steered through its
    command folder; leaving the console leaves it running. Otherwise the run is a thread of the console
    (the tests' scripted engines) and stops with it.
    """

    control: RunControl | None = None
    running: bool = False
    run_dir: Path | None = None  # the run's folder, once the engine says it started
    status: RunStatus | None = None  # how the last run ended
    lr: float | None = None  # the learning rate in use now (the dialog's, or the last epoch's)
    paused: bool = False  # as this console last asked, or as the run last said (another client may steer it too)
    quit_when_done: bool = False  # quit once the run has stopped (asked during a run, or a signal)
    exit_code: int = 0

    def begin(self, lr: float | None, *, remote: bool = False) -> RunControl:
        """A new run (or one attached to): fresh controls, nothing known yet about where it records or how it ends."""
        self.control = RunControl()
        if remote:
            self.control.expect_relay()
        self.running, self.run_dir, self.status, self.lr, self.paused = True, None, None, lr, False
        return self.control

    @property
    def steerable(self) -> bool:
        """A run goes and can be paused, stopped or given a learning rate."""
        return self.running and self.control is not None

    @property
    def remote(self) -> bool:
        return self.control is not None and self.control.remote

    def toggle_pause(self) -> bool:
        """Pause, or resume a paused run; True when it is (asked to be) paused now."""
        self.paused = not self.paused
        self._send(Command("pause" if self.paused else "resume"))
        return self.paused

    def stop(self) -> bool:
        """Ask the run to stop after the current step; False when no run goes."""
        if not self.steerable:
            return False
        self._send(Command("stop"))
        return True

    def release(self) -> None:
        """The console goes away: a run of its own goes on (the console detaches); a thread run is told to stop."""
        if self.control is None:
            return
        if self.control.remote:
            self.control.detach.set()
        else:
            self.control.apply(Command("stop"))

    def set_lr(self, lr: float) -> None:
        """A learning rate typed during the run: the engine applies it from the next step."""
        self._send(Command("set_lr", lr))  # the engine's notice says when it applied
        self.lr = lr

    def _send(self, command: Command) -> None:
        if self.control is not None:
            self.control.send(command)

    def done(self) -> None:
        """The training (or following) worker has returned."""
        self.running, self.paused = False, False

    def note(self, event: Event) -> None:
        """What the session keeps of an engine event (the screen shows the rest)."""
        keep = _KEPT.get(type(event))
        if keep is not None:
            keep(self, event)


def _started(session: RunSession, event: RunStarted) -> None:
    session.run_dir = event.run_dir
    lr = event.config.get("optim", {}).get("lr")
    if session.lr is None and isinstance(lr, int | float):
        session.lr = float(lr)


def _epoch(session: RunSession, event: EpochEnded) -> None:
    session.lr = event.metrics.lr


def _command(session: RunSession, event: CommandTaken) -> None:
    session.paused = event.paused
    if event.lr is not None:
        session.lr = event.lr


def _finished(session: RunSession, event: RunFinished) -> None:
    session.status = RunStatus.of(event.status)


_KEPT: dict[type, Callable[[RunSession, Any], None]] = {
    RunStarted: _started, EpochEnded: _epoch, CommandTaken: _command, RunFinished: _finished,
}
