"""Text in and out: presets in any editor's UTF-8, output on any terminal encoding, and a terminal
that goes away while a run prints (printing must never stop training)."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rdfia_tui.cli.main import main
from rdfia_tui.engine.config import ConfigError
from rdfia_tui.engine.presets import load_preset

BOM = b"\xef\xbb\xbf"
PRESET = 'name = "mine"\n[optim]\nlr = 0.2\n[train]\nepochs = 2\n'


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rdfia_tui", *args],
        capture_output=True,
        env={**os.environ, "OMP_NUM_THREADS": "1", **(env or {})},
        timeout=timeout,
    )


# --- reading presets ----------------------------------------------------------------------------


def test_a_preset_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_bytes(BOM + PRESET.encode())
    cfg = load_preset(str(path))
    assert cfg.name == "mine" and cfg.optim.lr == 0.2


def test_a_sweep_file_with_a_byte_order_mark_loads(tmp_path: Path, runs_dir: Path) -> None:
    path = tmp_path / "sweep.toml"
    path.write_bytes(BOM + (PRESET + '[grid]\n"optim.lr" = [0.1, 0.3]\n').encode())
    assert main(["sweep", str(path), "--set", "train.epochs=1", "--runs-dir", str(runs_dir)]) == 0


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (PRESET.encode("utf-16"), "saved as UTF-16; save it as UTF-8"),
        ('name = "café"\n'.encode("latin-1"), "not UTF-8 text (byte 0xe9 at line 1, column 12); save the file as UTF-8"),
        (b'name = "x"\n[optim]\n# \xff\nlr = 0.1\n', "byte 0xff at line 3, column 3"),
    ],
    ids=["utf-16", "latin-1", "bad-byte-in-a-comment"],
)
def test_other_encodings_are_named_with_where_they_fail(tmp_path: Path, data: bytes, words: str) -> None:
    path = tmp_path / "odd.toml"
    path.write_bytes(data)
    with pytest.raises(ConfigError) as info:
        load_preset(str(path))
    assert words in str(info.value) and "\n" not in str(info.value)


# --- writing to terminals ----------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["latin-1", "ascii"])
def test_a_sweep_prints_on_a_narrow_encoding_and_runs_every_point(tmp_path: Path, encoding: str) -> None:
    """A point at chance prints '— at chance': under latin-1 that character killed the sweep before the next point."""
    runs = tmp_path / "runs"
    args = ["sweep", "circles-mlp", "--grid", "optim.lr=1e-9,0.3", "--set", "train.epochs=1", "--runs-dir", str(runs)]
    proc = cli(*args, env={"PYTHONIOENCODING": encoding})
    out = proc.stdout.decode(encoding)
    assert proc.returncode == 0, proc.stderr.decode(encoding, "replace")
    assert "[1/2] optim.lr=1e-09: completed" in out and "- at chance" in out and "[2/2] optim.lr=0.3: completed" in out
    (sweep,) = runs.iterdir()
    assert [p["status"] for p in json.loads((sweep / "sweep.json").read_text())["points"]] == ["completed", "completed"]


def test_layers_print_in_ascii_when_the_terminal_has_nothing_else() -> None:
    proc = cli("layers", "cifar10-convnet", env={"PYTHONIOENCODING": "ascii"})
    assert proc.returncode == 0
    assert "32x32x32" in proc.stdout.decode("ascii") and b"\xc3" not in proc.stdout


def test_a_closed_pipe_stops_the_printing_not_the_run(tmp_path: Path) -> None:
    """'rdfia-tui run ... | head -2': once head has gone, the run still completes and records every epoch."""
    runs = tmp_path / "runs"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "rdfia_tui", "run", "circles-mlp", "--set", "train.epochs=40", "--runs-dir", str(runs)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout.readline().startswith(b"circles-mlp:")
    proc.stdout.close()  # the reader goes away
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert b"Traceback" not in err and b"BrokenPipeError" not in err
    (run,) = runs.iterdir()
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["epochs_completed"] == 40


def test_a_terminal_that_goes_away_stops_the_printing_not_the_run(tmp_path: Path) -> None:
    """A dropped SSH session without tmux: the terminal is gone and every write fails with EIO."""
    runs = tmp_path / "runs"
    master, slave = pty.openpty()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TERM": "xterm"}
    cmd = [sys.executable, "-m", "rdfia_tui", "run", "circles-sgd", "--set", "train.epochs=6", "--runs-dir", str(runs)]
    proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=subprocess.PIPE, env=env)
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 60
    while b"epoch" not in seen and time.monotonic() < deadline:  # the table has started: the run is printing to the terminal
        seen += os.read(master, 4096)
    os.close(master)  # the terminal disappears
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err
    (run,) = runs.iterdir()
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["epochs_completed"] == 6
