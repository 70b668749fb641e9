"""Start-up: time to the console's first frame, ``rdfia-tui --help``, and whole headless circles runs.

    python benchmarks/startup.py --repeats 5

The console is started in a real pseudo-terminal (120×40) exactly as a user starts it; the
first frame is the moment the preset list's first name appears in its output. ``--help``, a
30-epoch ``rdfia-tui run circles-mlp`` (the goal: about ``import torch`` + 1 s) and a bare
``import torch`` are timed as whole processes, alternated within each repeat.
"""

from __future__ import annotations

import argparse
import os
import pty
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

from common import emit, machine, run_main, spread

MARKER = b"circles-autograd"  # the first preset in the list


def first_frame(command: list[str], timeout: float = 60.0) -> float:
    """Seconds from spawning ``command`` in a pty until MARKER is drawn."""
    import fcntl
    import termios

    pid, fd = pty.fork()
    if pid == 0:  # the child: a 120×40 xterm
        os.environ.update(TERM="xterm-256color", COLUMNS="120", LINES="40")
        os.execvp(command[0], command)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    start, seen = time.perf_counter(), b""
    try:
        while time.perf_counter() - start < timeout:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                try:
                    seen += os.read(fd, 65536)
                except OSError:
                    break
                if MARKER in seen:
                    return time.perf_counter() - start
        raise TimeoutError(f"no first frame within {timeout:g} s")
    finally:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
        os.close(fd)


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out")
    args = parser.parse_args()
    exe = shutil.which("rdfia-tui")
    cli = [exe] if exe else [sys.executable, "-m", "rdfia_tui"]
    frames, helps, torch_imports, circles = [], [], [], []
    with tempfile.TemporaryDirectory() as runs:
        for _ in range(args.repeats):
            frames.append(first_frame([*cli, "--preset", "circles-mlp"]))
            helps.append(wall([*cli, "--help"]))
            torch_imports.append(wall([sys.executable, "-c", "import torch"]))
            circles.append(wall([*cli, "run", "circles-mlp", "--runs-dir", runs]))
    emit(
        {
            "benchmark": "startup",
            "machine": machine(),
            "command": cli,
            "first_frame_s": spread(frames),
            "help_s": spread(helps),
            "import_torch_s": spread(torch_imports),
            "circles_run_30_epochs_s": spread(circles),
        },
        args.out,
    )


if __name__ == "__main__":
    run_main(main)
