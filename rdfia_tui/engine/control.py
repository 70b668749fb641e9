"""How a client steers a running fit: stop and pause events, and a pending learning rate."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class RunControl:
    """Shared between the engine's thread and its client; every member is thread-safe."""

    stop: threading.Event = field(default_factory=threading.Event)
    pause: threading.Event = field(default_factory=threading.Event)
    _lr: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def request_lr(self, lr: float) -> None:
        """Ask for a new learning rate from the next step on."""
        with self._lock:
            self._lr = lr

    def take_lr(self) -> float | None:
        """The learning rate asked for since the last call, then cleared; None when none was. Called between steps."""
        with self._lock:
            lr, self._lr = self._lr, None
            return lr
