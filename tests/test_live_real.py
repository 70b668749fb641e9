"""Runs in their own processes with real training (torch in the child only): detach, control, attach, SIGKILL, resume."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from rdfia_tui.engine.events import BatchProgress, EpochEnded, RunStarted
from rdfia_tui.engine.live.stream import read_events
from rdfia_tui.engine.runs.liveness import read_live
from rdfia_tui.engine.runs.record import read_metrics_csv
from rdfia_tui.tui.screens.dialogs import LearningRateDialog
from tests.helpers import rdfia, run_folder_from, summary_of
from tests.tui_fakes import make_app, wait_for

pytestmark = pytest.mark.usefixtures("no_run_left_behind")


def until(condition, timeout: float = 90, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout:g} s"
        time.sleep(0.02)


def epochs_on_disk(run_dir: Path) -> int:
    path = run_dir / "metrics.csv"
    return len(read_metrics_csv(path)) - 1 if path.is_file() else -1


def detached(tmp_path: Path, *sets: str) -> Path:
    result = rdfia("run", "--detach", "circles-mlp", "--runs-dir", str(tmp_path / "runs"), *(f"--set={s}" for s in sets), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return run_folder_from(result)


def test_detach_returns_at_once_and_the_run_takes_commands_from_the_command_line(tmp_path: Path) -> None:
    run_dir = detached(tmp_path, "train.epochs=2000")
    assert summary_of(run_dir)["status"] == "running" and read_live(run_dir).pid != os.getpid()
    until(lambda: epochs_on_disk(run_dir) >= 2)
    paused = rdfia("control", str(run_dir), "pause", cwd=tmp_path)
    assert paused.returncode == 0 and "took pause; paused" in paused.stdout
    steps = sum(isinstance(e, BatchProgress) for e in read_events(run_dir / "events.jsonl"))
    time.sleep(0.5)  # a window in which a running run would have reported several times
    assert sum(isinstance(e, BatchProgress) for e in read_events(run_dir / "events.jsonl")) <= steps + 1
    assert rdfia("control", "latest", "lr", "0.05", "--runs-dir", str(tmp_path / "runs"), cwd=tmp_path).returncode == 0
    assert rdfia("control", str(run_dir), "resume", cwd=tmp_path).returncode == 0
    assert rdfia("control", str(run_dir), "stop", cwd=tmp_path).returncode == 0
    until(lambda: summary_of(run_dir)["status"] != "running")
    record = summary_of(run_dir)
    assert record["status"] == "stopped" and record["lr_changes"][0]["lr"] == 0.05
    late = rdfia("control", str(run_dir), "pause", cwd=tmp_path)
    assert late.returncode == 2 and late.stderr.count("\n") == 1 and "has finished" in late.stderr
    assert "stopped by request" in (run_dir / "output.log").read_text()


def test_a_killed_run_is_lost_its_events_parse_and_it_resumes(tmp_path: Path) -> None:
    run_dir = detached(tmp_path, "train.epochs=60", "train.checkpoint=epoch")
    until(lambda: epochs_on_disk(run_dir) >= 3)
    os.kill(read_live(run_dir).pid, signal.SIGKILL)
    until(lambda: "lost" in rdfia("runs", "--runs-dir", str(tmp_path / "runs"), cwd=tmp_path).stdout, what="'runs' saying lost")
    events = read_events(run_dir / "events.jsonl")
    assert isinstance(events[0], RunStarted) and any(isinstance(e, EpochEnded) for e in events)
    resumed = rdfia("resume", str(run_dir), cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    record = summary_of(run_dir)
    assert record["status"] == "completed" and record["epochs_completed"] == 60
    assert epochs_on_disk(run_dir) == 60


async def test_the_console_attached_to_a_real_run_shows_its_records_and_steers_it(tmp_path: Path) -> None:
    run_dir = detached(tmp_path, "train.epochs=3000")
    until(lambda: epochs_on_disk(run_dir) >= 2)
    app = make_app(tmp_path, attach=run_dir)  # the console's own engine: runs are processes
    from rdfia_tui.tui.runner import ProcessEngine

    app.engine = ProcessEngine()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: len(app.main.curves.acc.series.get("test", ([], []))[1]) >= 3, timeout=60)
        assert rdfia("control", str(run_dir), "pause", cwd=tmp_path).returncode == 0  # another client, from a shell
        await wait_for(pilot, lambda: any("paused (p resumes) (from another client, pid" in e for e in app.main.log_view.entries))
        assert rdfia("control", str(run_dir), "resume", cwd=tmp_path).returncode == 0
        await wait_for(pilot, lambda: not app.session.paused)
        await pilot.press("p")
        await wait_for(pilot, lambda: read_live(run_dir).paused and app.session.paused, timeout=10)
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, LearningRateDialog))
        await pilot.press(*"0.07", "enter")
        await pilot.press("p")
        await wait_for(pilot, lambda: any("learning rate set to 0.07" in e for e in app.main.log_view.entries), timeout=30)
        await pilot.press("x")
        await wait_for(pilot, lambda: app.last_status == "stopped" and not app.running, timeout=30)
        shown = app.main.curves.acc.series["test"][1]
    on_disk = [100 * row["test_acc"] for row in read_metrics_csv(run_dir / "metrics.csv")]
    assert shown == pytest.approx(on_disk, abs=0) and len(shown) >= 3
    assert summary_of(run_dir)["lr_changes"][0]["lr"] == 0.07


def test_a_resumed_run_continues_its_output_log(tmp_path: Path) -> None:
    run_dir = detached(tmp_path, "train.epochs=3", "train.checkpoint=epoch")
    until(lambda: summary_of(run_dir)["status"] != "running")
    first = (run_dir / "output.log").read_text()
    assert "completed: final test accuracy" in first
    resumed = rdfia("resume", "--detach", str(run_dir), "--set", "train.epochs=5", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    until(lambda: summary_of(run_dir)["status"] != "running" and summary_of(run_dir)["epochs_completed"] == 5)
    until(lambda: (run_dir / "output.log").read_text().count("run folder:") == 2, what="the second process's last line")
    log = (run_dir / "output.log").read_text()
    assert log.startswith(first) and "resumed after epoch 3" in log
    assert not list((tmp_path / "runs").glob(".launch-*"))


def test_a_second_resume_of_a_run_being_resumed_is_refused(tmp_path: Path) -> None:
    from rdfia_tui.engine.runs.files import held

    run_dir = detached(tmp_path, "train.epochs=2", "train.checkpoint=epoch")
    until(lambda: summary_of(run_dir)["status"] != "running")
    with held(run_dir, "trains this run"):  # as a first resume holds it while it trains
        second = rdfia("resume", str(run_dir), "--set", "train.epochs=4", cwd=tmp_path)
    assert second.returncode == 2 and "another process trains this run in" in second.stderr and "Traceback" not in second.stderr
    assert summary_of(run_dir)["epochs_completed"] == 2  # untouched


def test_a_second_sweep_on_one_sweep_folder_is_refused(tmp_path: Path) -> None:
    from rdfia_tui.engine.runs.files import held

    sweep_dir = tmp_path / "runs" / "sweep-one"
    sweep_dir.mkdir(parents=True)
    with held(sweep_dir, "runs this sweep"):
        second = rdfia("sweep", "circles-mlp", "--grid", "optim.lr=0.1,0.3", "--set", "train.epochs=1", "--sweep-dir", str(sweep_dir),
                       cwd=tmp_path)  # fmt: skip
    assert second.returncode == 2 and "another process runs this sweep in" in second.stderr
    assert not [p for p in sweep_dir.iterdir() if p.is_dir()]  # no point was trained


def test_a_run_resumed_after_it_finished_takes_commands(tmp_path: Path) -> None:
    """Its events.jsonl holds the first segment's RunFinished; the resumed segment is live and takes a stop."""
    finished = rdfia("run", "circles-mlp", "--runs-dir", str(tmp_path / "runs"), "--set=train.epochs=2", "--set=train.checkpoint=epoch",
                     cwd=tmp_path)  # fmt: skip
    run_dir = run_folder_from(finished)
    assert rdfia("resume", str(run_dir), "--detach", "--set=train.epochs=2000", cwd=tmp_path).returncode == 0
    until(lambda: epochs_on_disk(run_dir) >= 3)
    stop = rdfia("control", str(run_dir), "stop", cwd=tmp_path)
    assert stop.returncode == 0, stop.stderr
    until(lambda: summary_of(run_dir)["status"] != "running")
    assert summary_of(run_dir)["status"] == "stopped"
