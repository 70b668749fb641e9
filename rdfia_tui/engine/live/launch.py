"""Start a run as a child process in its own session, so a hang-up of the terminal that started it does not
reach it, and learn its run folder.

The child is ``python -m rdfia_tui run …`` (or ``resume …``) with its output going to a log file. It is told
two paths through the environment: READY_ENV, where it writes its run folder once the run has started
(RunStarted), and LOG_ENV, its log, which it moves into the run folder as output.log. A child that exits
before it starts (a config the engine refuses, data it cannot find) leaves its reason in the log, and the
launcher raises it as a LaunchError.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rdfia_tui.engine import config as config_mod
from rdfia_tui.engine.config import RunConfig
from rdfia_tui.engine.errors import RdfiaError, RecordError
from rdfia_tui.engine.runs.files import atomic_write

READY_ENV = "RDFIA_TUI_READY"
LOG_ENV = "RDFIA_TUI_LOG"
OUTPUT_LOG = "output.log"


class LaunchError(RdfiaError):
    """The child exited before its run started; the message is its own last error line."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Detached(Exception):
    """The client stopped waiting for the child to start (it quit); the child goes on."""


@dataclass
class Launched:
    """A started run: its folder and its process (which the launcher's process must wait for, or leave)."""

    run_dir: Path
    process: subprocess.Popen


def module_command(*args: str) -> list[str]:
    """This interpreter running rdfia-tui with ``args`` (the same install as the caller's)."""
    return [sys.executable, "-m", "rdfia_tui", *args]


def launch(command: list[str], runs_dir: Path, *, cancel: threading.Event | None = None, poll: float = 0.05) -> Launched:
    """Start ``command`` detached (its own session, no terminal) and wait until its run has started.

    Raises LaunchError with the child's reason when it exits first, RecordError when ``runs_dir`` cannot
    hold the launch's log, Detached when ``cancel`` is set while waiting.
    """
    token = secrets.token_hex(6)
    try:
        runs_dir.mkdir(parents=True, exist_ok=True)
        log = runs_dir / f".launch-{token}.log"
        out = open(log, "wb")  # noqa: SIM115 (the child holds it; ours is closed below)
    except OSError as exc:
        raise RecordError(f"runs dir {runs_dir} is not writable ({exc.strerror or exc}); choose another with --runs-dir") from None
    ready = runs_dir / f".launch-{token}.ready"
    env = {**os.environ, READY_ENV: str(ready), LOG_ENV: str(log)}
    with out:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
                                   start_new_session=True)  # fmt: skip
    cancel = cancel or threading.Event()
    while not cancel.wait(poll):
        if ready.exists():
            run_dir = Path(ready.read_text(encoding="utf-8").strip())
            ready.unlink(missing_ok=True)
            return Launched(run_dir, process)
        if process.poll() is not None:
            raise LaunchError(_reason(log, process.returncode), process.returncode or 1)
    raise Detached


def _reason(log: Path, code: int) -> str:
    """The child's last error line from its log (then the log is removed), or what its exit status says."""
    try:
        lines = [line.strip() for line in log.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
        log.unlink(missing_ok=True)
    except OSError:
        lines = []
    errors = [line.removeprefix("rdfia-tui: error: ") for line in lines if line.startswith("rdfia-tui: ")]
    if errors:
        return errors[-1].removeprefix("rdfia-tui: ")
    if lines:
        return f"the run exited with status {code} before it started: {lines[-1]}"
    return f"the run exited with status {code} before it started, saying nothing"


def announce_started(run_dir: Path) -> None:
    """In the child: the run has started in ``run_dir``; move the log into the folder, then tell the launcher."""
    log, ready = os.environ.pop(LOG_ENV, None), os.environ.pop(READY_ENV, None)
    if log:
        with contextlib.suppress(OSError):  # else the log stays where it was; the run goes on
            _continue_log(Path(log), run_dir / OUTPUT_LOG)
    if ready:
        atomic_write(Path(ready), f"{run_dir}\n")


def _continue_log(launch_log: Path, output_log: Path) -> None:
    """From now on this process writes to the end of ``output_log`` (a resumed run's log goes on where the last
    process left it), after what it has printed so far; ``launch_log`` is removed."""
    sys.stdout.flush()
    sys.stderr.flush()
    fd = os.open(output_log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
    try:
        os.write(fd, launch_log.read_bytes())
        os.dup2(fd, sys.stdout.fileno())
        os.dup2(fd, sys.stderr.fileno())
    finally:
        os.close(fd)
    launch_log.unlink(missing_ok=True)


@contextlib.contextmanager
def child_arguments(cfg: RunConfig, runs_dir: Path, data_root: str | None, resume: Path | None = None) -> Iterator[tuple[list[str], Path]]:
    """rdfia-tui's arguments for a child that trains ``cfg`` (or resumes ``resume``), and the folder its launch log
    goes to. A new run's config is handed over as a preset file beside the runs, removed on leaving."""
    data = ["--data-root", str(Path(data_root).expanduser().absolute())] if data_root else []
    if resume is not None:
        yield ["resume", str(Path(resume).absolute()), *data], Path(resume).absolute().parent
        return
    runs_dir = Path(runs_dir).absolute()
    runs_dir.mkdir(parents=True, exist_ok=True)
    preset = runs_dir / f".launch-{secrets.token_hex(6)}-{cfg.name}.toml"
    atomic_write(preset, config_mod.dumps(cfg))
    try:
        yield ["run", str(preset), "--runs-dir", str(runs_dir), *data], runs_dir
    finally:
        preset.unlink(missing_ok=True)
