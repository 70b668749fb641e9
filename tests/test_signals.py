"""Interrupting a headless run: SIGINT, SIGTERM and SIGHUP stop after the current step with complete
records; a second SIGINT quits at once; SIGKILL leaves records that still parse and agree, and a
checkpointed run killed that way resumes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rdfia_tui.engine.runs.record import read_metrics_csv
from tests.helpers import make_npz


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 143)])
def test_signal_stops_a_run_cleanly(tmp_path: Path, signum: int, code: int) -> None:
    runs = tmp_path / "runs"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    # batch 1 over many epochs: long enough to be interrupted mid-run
    cmd = [sys.executable, "-m", "rdfia_tui", "run", "circles-sgd", "--set", "train.epochs=200", "--runs-dir", str(runs)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.time() + 60
    while time.time() < deadline and not list(runs.glob("*/metrics.csv")):
        time.sleep(0.1)
    time.sleep(1.0)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert f"{signal.Signals(signum).name} received" in err and "Traceback" not in err
    (run,) = runs.iterdir()
    summary = json.loads((run / "summary.json").read_text())
    rows = read_metrics_csv(run / "metrics.csv")
    assert summary["status"] == "stopped"
    assert 0 < len(rows) < 201 and [r["epoch"] for r in rows] == list(range(len(rows)))
    assert [e["epoch"] for e in summary["epochs"]] == [r["epoch"] for r in rows]
    assert str(run) in out


def start(cmd: list[str]) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "rdfia_tui", *cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def wait_for_rows(runs: Path, rows: int, timeout: float = 90) -> Path:
    deadline = time.time() + timeout
    while time.time() < deadline:
        for csv in runs.glob("*/metrics.csv"):
            if len(csv.read_text().splitlines()) - 1 >= rows:
                return csv.parent
        time.sleep(0.05)
    raise TimeoutError(f"no run reached {rows} rows")


def test_a_second_sigint_quits_at_once_with_valid_records(tmp_path: Path) -> None:
    data = make_npz(tmp_path / "big.npz", [1000, 1000], [10, 10], size=32)
    runs = tmp_path / "runs"
    # one slow full-batch step per epoch and next to nothing else (no val, 20 test images), so the
    # second Ctrl-C lands while the first waits for the step
    proc = start(
        [
            "run",
            "circles-mlp",
            "--runs-dir",
            str(runs),
            "--set",
            "data.dataset=npz",
            "--set",
            f"data.path={data}",
            "--set",
            "model.hidden=1024,1024",
            "--set",
            "train.batch_size=0",
            "--set",
            "train.epochs=50",
            "--set",
            "data.val_split=0",
        ]
    )
    run = wait_for_rows(runs, 1)
    proc.send_signal(signal.SIGINT)
    first = proc.stderr.readline()  # the handler's line: the first Ctrl-C has been taken
    assert "SIGINT received" in first
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    err = first + err
    assert proc.returncode == 130, err
    assert "interrupted; the records hold every completed epoch" in err and "Traceback" not in err
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "stopped" and summary["message"].startswith("interrupted")
    assert [e["epoch"] for e in summary["epochs"]] == [r["epoch"] for r in read_metrics_csv(run / "metrics.csv")]


def test_sigkill_leaves_records_that_parse_agree_and_resume(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    proc = start(["run", "circles-sgd", "--runs-dir", str(runs), "--set", "train.epochs=25", "--set", "train.checkpoint=epoch"])
    run = wait_for_rows(runs, 4)
    proc.kill()
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    summary = json.loads((run / "summary.json").read_text())
    rows = read_metrics_csv(run / "metrics.csv")
    assert summary["status"] == "running"
    in_summary = [e["epoch"] for e in summary["epochs"]]
    in_csv = [r["epoch"] for r in rows]
    # metrics.csv is written just before summary.json: a kill between the two leaves the CSV one row ahead
    assert in_csv[: len(in_summary)] == in_summary and len(in_csv) - len(in_summary) in (0, 1)
    assert all(name.startswith(".") for name in os.listdir(run) if name.endswith(".tmp"))
    resumed = subprocess.run(
        [sys.executable, "-m", "rdfia_tui", "resume", str(run)], capture_output=True, text=True, timeout=120, check=False
    )
    assert resumed.returncode == 0, resumed.stderr
    final = json.loads((run / "summary.json").read_text())
    assert final["status"] == "completed" and [e["epoch"] for e in final["epochs"]] == list(range(26))
    assert [r["epoch"] for r in read_metrics_csv(run / "metrics.csv")] == list(range(26))
