"""A headless run stopped by SIGINT or SIGTERM ends after the current step with complete records."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rdfia_tui.engine.records import read_metrics_csv


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
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
