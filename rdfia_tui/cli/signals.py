"""Stopping a headless run cleanly: the first SIGINT, SIGTERM or SIGHUP asks the engine to stop
after the current step; a second Ctrl-C quits at once (every record write is atomic). Before training
has begun (loading data, building the model) there is nothing to keep, so the first signal quits at once."""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

SIGNAL_EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}
if hasattr(signal, "SIGHUP"):
    SIGNAL_EXIT[signal.SIGHUP] = 143  # a dropped terminal is treated like SIGTERM


class Interrupted(KeyboardInterrupt):
    """A signal that ends the command at once; ``signum`` gives its exit code."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextmanager
def stop_on_signals(
    stop: threading.Event, at_once: Callable[[], bool] = lambda: False, echo_s: float = 0.0, announce: bool = True
) -> Iterator[list[int]]:
    """While inside, the signals set ``stop``; yields the list of signals received.

    While ``at_once()`` is true (nothing recorded yet), a signal raises Interrupted instead. A second SIGINT quits at
    once, unless it comes within ``echo_s`` seconds of the first: a rank of torchrun gets the terminal's Ctrl-C and
    torchrun's copy of it, which are one request. ``announce``: say on stderr that the run will stop (rank 0 speaks
    for a distributed run).
    """
    received: list[int] = []
    first = [0.0]

    def on_signal(signum: int, frame: object) -> None:
        if at_once():
            raise Interrupted(signum)
        if received and time.monotonic() - first[0] < echo_s:
            return
        if received and signum == signal.SIGINT:
            raise KeyboardInterrupt
        first[0] = time.monotonic()
        received.append(signum)
        stop.set()
        hint = " (Ctrl-C again to quit now)" if signum == signal.SIGINT else ""  # a kill's sender has no Ctrl-C to press
        if announce:
            print(f"rdfia-tui: {signal.Signals(signum).name} received, stopping after this step{hint}", file=sys.stderr)

    previous = {s: signal.signal(s, on_signal) for s in SIGNAL_EXIT}
    try:
        yield received
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def signal_exit_code(received: list[int]) -> int:
    """130 after SIGINT, 143 after SIGTERM or SIGHUP."""
    return SIGNAL_EXIT.get(received[0], 130) if received else 130
