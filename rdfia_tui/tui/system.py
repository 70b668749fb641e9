"""What the console asks of the system: termination signals, whether the terminal is still there, the run's GPU memory as text."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable

TERMINATING = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


def on_termination(callback: Callable[[int], None]) -> None:
    """SIGTERM and SIGHUP (``kill``, a dropped SSH session) call ``callback(signum)`` on the running event loop."""
    loop = asyncio.get_running_loop()
    for signum in TERMINATING:
        try:
            loop.add_signal_handler(signum, callback, signum)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread (tests), or no such signal here
            return


def terminal_alive() -> bool:
    """False when writing to the terminal fails (a hung-up SSH session or a closed terminal window)."""
    try:
        os.write(sys.__stdout__.fileno(), b"\x1b[0m")  # a harmless "reset colours"
    except (OSError, ValueError, AttributeError):
        return False
    return True


def gpu_memory(peak_bytes: int) -> str:
    """The run's peak GPU memory (bytes allocated by torch in the run's process, sent with its progress), or "" on CPU."""
    return f"GPU peak {peak_bytes / 2**20:,.0f} MiB" if peak_bytes > 0 else ""
