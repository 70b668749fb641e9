"""The console under SIGTERM and SIGHUP (``kill``, a dropped SSH session): the console exits with status
143 and restores the terminal when it still exists; the run, a process of its own, trains on to the end."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import select
import signal
import sys
import time
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="POSIX signals and pseudo-terminals"),
    pytest.mark.usefixtures("no_run_left_behind"),
]

LEAVE_ALT_SCREEN, SHOW_CURSOR = b"\x1b[?1049l", b"\x1b[?25h"


class Console:
    """``rdfia-tui`` in a pseudo-terminal of its own (so closing it hangs the console up, as ssh does)."""

    def __init__(self, runs: Path, *args: str) -> None:
        self.runs, self.output = runs, b""
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.environ.update(TERM="xterm-256color", COLUMNS="120", LINES="40", OMP_NUM_THREADS="1")
            os.execv(sys.executable, [sys.executable, "-m", "rdfia_tui", "--runs-dir", str(runs), *args])

    def read(self, timeout: float = 0.1) -> None:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if ready:
            with contextlib.suppress(OSError):
                self.output += os.read(self.fd, 65536)

    def wait_until(self, condition, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, "the console did not get there in time"
            self.read()

    def exit_code(self, timeout: float = 60, reading: bool = True) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if reading:
                self.read(0.05)
            else:
                time.sleep(0.05)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
        os.kill(self.pid, signal.SIGKILL)
        raise AssertionError("the console did not exit")

    def rows(self) -> int:
        csv = list(self.runs.glob("*/metrics.csv"))
        return len(csv[0].read_text().splitlines()) - 1 if csv else 0

    def summary(self) -> dict:
        (path,) = self.runs.glob("*/summary.json")
        return json.loads(path.read_text())

    def run_ends(self, timeout: float = 120) -> dict:
        """The run's summary once it says the run ended (the console is gone by then)."""
        deadline = time.monotonic() + timeout
        while self.summary()["status"] == "running":
            assert time.monotonic() < deadline, "the run did not end in time"
            time.sleep(0.05)
        return self.summary()


EPOCHS = 40  # a few seconds of circles-sgd


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_ends_the_console_and_the_run_trains_on_to_the_end(tmp_path: Path, signum: int) -> None:
    console = Console(tmp_path / "runs", "--preset", "circles-sgd", "--set", f"train.epochs={EPOCHS}", "--start")
    console.wait_until(lambda: console.rows() >= 3)  # epochs 0, 1 and 2 recorded
    os.kill(console.pid, signum)
    assert console.exit_code() == 143
    tail = console.output[-4000:]
    assert LEAVE_ALT_SCREEN in tail and SHOW_CURSOR in tail
    assert console.rows() < EPOCHS + 1, "the run had ended before the console did: the test proves nothing"
    summary = console.run_ends()
    assert summary["status"] == "completed" and summary["epochs_completed"] == EPOCHS
    assert console.rows() == EPOCHS + 1  # metrics.csv is complete too
    assert summary["pid"] != console.pid


def test_a_terminal_that_goes_away_leaves_the_run_training_to_the_end(tmp_path: Path) -> None:
    from rdfia_tui.engine.events import RunFinished
    from rdfia_tui.engine.live.stream import read_events

    console = Console(tmp_path / "runs", "--preset", "circles-sgd", "--set", f"train.epochs={EPOCHS}", "--start")
    console.wait_until(lambda: console.rows() >= 3)  # epochs 0, 1 and 2 recorded
    os.close(console.fd)  # the ssh connection drops: the kernel hangs the terminal up
    assert console.exit_code(reading=False) == 143
    assert console.rows() < EPOCHS + 1
    summary = console.run_ends()
    assert summary["status"] == "completed" and summary["epochs_completed"] == EPOCHS
    (events,) = tmp_path.glob("runs/*/events.jsonl")
    assert isinstance(read_events(events)[-1], RunFinished)
    assert (events.parent / "output.log").read_text().count("completed: final test accuracy") == 1


def test_sigterm_with_no_run_quits_and_restores_the_terminal(tmp_path: Path) -> None:
    console = Console(tmp_path / "runs")
    console.wait_until(lambda: b"circles-autograd" in console.output)  # the first frame is drawn
    os.kill(console.pid, signal.SIGTERM)
    assert console.exit_code() == 143
    assert LEAVE_ALT_SCREEN in console.output[-4000:]
