"""The command folder: how a client in another process pauses, resumes, stops or sets the learning rate of a run.

Why a folder of command files rather than a Unix socket: a socket path is limited to about 100 bytes, and
run folders live wherever the user keeps runs; a command written before the run listens (while it loads
its data) is not lost; nothing has to accept connections, so a run that is busy, paused or evaluating
still finds its commands; and any tool that can write a file can steer a run.

The run creates ``<run folder>/commands/`` with owner-only permissions (0700), so nobody else can write
there. A client writes each command as ``<time>-<random>.json`` through a hidden temporary file renamed
into place, so the run never reads half a command. The run takes the files in name order about ten times
a second, deletes each one, and refuses (with a Notice) any file not owned by its own user, or not a
command.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from rdfia_tui.engine.control import Command, CommandError
from rdfia_tui.engine.errors import RecordError

COMMANDS_DIR = "commands"


def open_inbox(run_dir: Path) -> Path:
    """Create (or take back) the run's command folder, owner-only; commands left from an earlier process are dropped."""
    folder = run_dir / COMMANDS_DIR
    folder.mkdir(mode=0o700, exist_ok=True)
    os.chmod(folder, 0o700)  # mkdir's mode is cut by the umask, and an old folder keeps its own
    for old in folder.iterdir():
        old.unlink(missing_ok=True)
    return folder


def send(run_dir: Path, command: Command) -> None:
    """Write ``command`` for the run in ``run_dir`` to take within about 0.1 s.

    Raises RecordError (one line) when the run has no command folder (it never started, or predates
    commands) or when this user may not write there (another user's run).
    """
    folder = Path(run_dir) / COMMANDS_DIR
    name = f"{time.time_ns():020d}-{secrets.token_hex(4)}.json"
    tmp = folder / f".{name}.tmp"
    text = json.dumps({"action": command.action, "lr": command.lr, "pid": os.getpid()})
    try:
        if not folder.is_dir():
            if (Path(run_dir) / "events.jsonl").is_file():
                raise RecordError(f"{Path(run_dir).name} has ended; it takes no more commands")
            why = "not started yet, or recorded before runs took commands"
            raise RecordError(f"{run_dir} takes no commands: it has no {COMMANDS_DIR}/ folder ({why})")
        with open(tmp, "x", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, folder / name)
    except PermissionError:
        raise RecordError(f"cannot send commands to {run_dir}: permission denied (only the user who started the run can)") from None
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise RecordError(f"cannot send a command to {run_dir}: {exc.strerror or exc}") from None


@dataclass(frozen=True)
class Received:
    """One command file taken from the folder: the command, or why it was refused."""

    command: Command | None
    sender: str
    refused: str = ""


def _read(path: Path, owner: int) -> Received:
    info = os.lstat(path)
    if not stat.S_ISREG(info.st_mode):
        return Received(None, path.name, "not a regular file")
    if info.st_uid != owner:
        return Received(None, f"uid {info.st_uid}", f"written by uid {info.st_uid}, not by the run's owner (uid {owner})")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        command = Command(str(data["action"]), data.get("lr"))
    except (OSError, ValueError, KeyError, TypeError, AttributeError, CommandError) as exc:
        return Received(None, path.name, f"not a command ({exc})")
    return Received(command, f"pid {data.get('pid', '?')}")


def take(folder: Path, owner: int | None = None) -> list[Received]:
    """The commands waiting in ``folder``, oldest first, each removed once read; ``owner`` defaults to this process's uid."""
    owner = os.geteuid() if owner is None else owner
    try:
        names = sorted(n for n in os.listdir(folder) if not n.startswith("."))
    except FileNotFoundError:
        return []
    taken = []
    for name in names:
        path = folder / name
        try:
            received = _read(path, owner)
        except FileNotFoundError:
            continue  # another reader took it
        except OSError as exc:
            received = Received(None, name, f"cannot be read ({exc.strerror or exc})")
        taken.append(received)
        _remove(path)
    return taken


def _remove(path: Path) -> None:
    """Take an entry out of the folder, whatever it is (a command file, or a folder or link someone put there)."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass  # it stays, and is refused again at the next look; nothing else is held up
