"""The app's state about the run in progress (or the last one): its controls, whether it runs, where it records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdfia_tui.engine.control import RunControl
from rdfia_tui.engine.events import EpochEnded, Event, RunFinished, RunStarted
from rdfia_tui.engine.runs.status import RunStatus


@dataclass
class RunSession:
    """Owned by the app, which starts and steers the run; the main screen only reads it."""

    control: RunControl | None = None
    running: bool = False
    run_dir: Path | None = None  # the run's folder, once the engine says it started
    status: RunStatus | None = None  # how the last run ended
    lr: float | None = None  # the learning rate in use now (the dialog's, or the last epoch's)
    quit_when_done: bool = False  # quit once the run has stopped (asked during a run, or a signal)
    exit_code: int = 0

    def begin(self, lr: float) -> RunControl:
        """A new run: fresh controls, nothing known yet about where it records or how it ends."""
        self.control = RunControl()
        self.running, self.run_dir, self.status, self.lr = True, None, None, lr
        return self.control

    @property
    def steerable(self) -> bool:
        """A run goes and can be paused, stopped or given a learning rate."""
        return self.running and self.control is not None

    @property
    def paused(self) -> bool:
        return self.control is not None and self.control.pause.is_set()

    def toggle_pause(self) -> bool:
        """Pause, or resume a paused run; True when it is paused now."""
        assert self.control is not None
        if self.control.pause.is_set():
            self.control.pause.clear()
            return False
        self.control.pause.set()
        return True

    def stop(self) -> bool:
        """Ask the run to stop after the current step; False when no run goes."""
        if not self.steerable:
            return False
        self.release()
        return True

    def release(self) -> None:
        """Tell the engine to stop and not wait paused (a thread worker cannot be cancelled)."""
        if self.control is not None:
            self.control.stop.set()
            self.control.pause.clear()

    def set_lr(self, lr: float) -> None:
        """A learning rate typed during the run: the engine applies it from the next step."""
        if self.control is not None:
            self.control.request_lr(lr)  # the engine's notice says when it applied
            self.lr = lr

    def done(self) -> None:
        """The training worker has returned."""
        self.running = False
        if self.control is not None:
            self.control.pause.clear()

    def note(self, event: Event) -> None:
        """What the session keeps of an engine event (the screen shows the rest)."""
        keep = _KEPT.get(type(event))
        if keep is not None:
            keep(self, event)


def _started(session: RunSession, event: RunStarted) -> None:
    session.run_dir = event.run_dir


def _epoch(session: RunSession, event: EpochEnded) -> None:
    session.lr = event.metrics.lr


def _finished(session: RunSession, event: RunFinished) -> None:
    session.status = RunStatus.of(event.status)


_KEPT: dict[type, Callable[[RunSession, Any], None]] = {RunStarted: _started, EpochEnded: _epoch, RunFinished: _finished}
