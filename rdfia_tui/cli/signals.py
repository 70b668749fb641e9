"""Stopping a headless run cleanly: the first SIGINT, SIGTERM or SIGHUP asks the engine to stop
after the current step; a second Ctrl-C quits at once (every record write is atomic)."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SIGNAL_EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}
if hasattr(signal, "SIGHUP"):
    SIGNAL_EXIT[signal.SIGHUP] = 143  # a dropped terminal is treated like SIGTERM


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[list[int]]:
    """While inside, the signals set ``stop``; yields the list of signals received."""
    received: list[int] = []

    def on_signal(signum: int, frame: object) -> None:
        if received and signum == signal.SIGINT:
            raise KeyboardInterrupt
        received.append(signum)
        stop.set()
        print(f"rdfia-tui: {signal.Signals(signum).name} received, stopping after this step (Ctrl-C again to quit now)", file=sys.stderr)

    previous = {s: signal.signal(s, on_signal) for s in SIGNAL_EXIT}
    try:
        yield received
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def signal_exit_code(received: list[int]) -> int:
    """130 after SIGINT, 143 after SIGTERM or SIGHUP."""
    return SIGNAL_EXIT.get(received[0], 130) if received else 130
