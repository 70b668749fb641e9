"""How a client steers a run: commands (pause, resume, stop, set_lr) and the controls the training loop reads.

The training loop reads a RunControl between steps. A client steers through ``RunControl.send``: the
command is applied at once when the run shares the client's process, or handed to a relay (a run in
another process: engine.live.commands writes it to the run's command folder).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

ACTIONS = ("pause", "resume", "stop", "set_lr")


class CommandError(ValueError):
    """A command that is not one of ACTIONS, or a set_lr without a positive finite learning rate."""


@dataclass(frozen=True)
class Command:
    """One command to a run: ``action`` in ACTIONS; ``lr`` (per step, > 0) for set_lr only."""

    action: str
    lr: float | None = None

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise CommandError(f"unknown command {self.action!r}; expected one of {', '.join(ACTIONS)}")
        if self.action == "set_lr" and not (isinstance(self.lr, int | float) and math.isfinite(self.lr) and self.lr > 0):
            raise CommandError(f"set_lr needs a learning rate above 0, got {self.lr!r}")


@dataclass
class RunControl:
    """Shared between the engine's thread and its clients; every member is thread-safe.

    ``detach``: the client leaves a run in another process running (it is never read by the training loop).
    """

    stop: threading.Event = field(default_factory=threading.Event)
    pause: threading.Event = field(default_factory=threading.Event)
    detach: threading.Event = field(default_factory=threading.Event)
    _lr: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _relay: Callable[[Command], None] | None = None
    _held: list[Command] = field(default_factory=list)  # sent to a relay that is not bound yet

    def request_lr(self, lr: float) -> None:
        """Ask for a new learning rate from the next step on."""
        with self._lock:
            self._lr = lr

    def take_lr(self) -> float | None:
        """The learning rate asked for since the last call, then cleared; None when none was. Called between steps."""
        with self._lock:
            lr, self._lr = self._lr, None
            return lr

    def apply(self, command: Command) -> None:
        """Do ``command`` here: the training loop sees it before its next step."""
        if command.action == "pause":
            self.pause.set()
        elif command.action == "resume":
            self.pause.clear()
        elif command.action == "stop":
            self.stop.set()
            self.pause.clear()  # a paused run must wake to stop
        else:
            self.request_lr(float(command.lr))  # type: ignore[arg-type]

    # ---- the client's side -----------------------------------------------------------------
    def expect_relay(self) -> None:
        """The run is in another process: commands sent before ``bind_relay`` are held for it."""
        with self._lock:
            self._relay = _holding

    def bind_relay(self, relay: Callable[[Command], None]) -> None:
        """From now on ``send`` hands commands to ``relay``; the ones held meanwhile go first, in order."""
        with self._lock:
            self._relay, held, self._held = relay, self._held, []
        for command in held:
            relay(command)

    @property
    def remote(self) -> bool:
        """The run is in another process (a relay is expected or bound)."""
        return self._relay is not None

    def send(self, command: Command) -> None:
        """A client's command: applied here, or relayed to the run's process (held until the relay is bound)."""
        with self._lock:
            relay = self._relay
            if relay is _holding:
                self._held.append(command)
                return
        if relay is None:
            self.apply(command)
        else:
            relay(command)


def _holding(command: Command) -> None:  # a marker: the relay is expected, not bound yet
    raise AssertionError("never called")
