"""A run folder written before the engine's refactor (tests/fixtures, made by commit e8a94fa: circles-mlp,
4 epochs with checkpoints, stopped after epoch 2) still lists, compares and resumes."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from rdfia_tui.cli.main import main
from rdfia_tui.engine.config import with_value
from rdfia_tui.engine.config_compare import config_differences
from rdfia_tui.engine.runs.listing import list_runs
from rdfia_tui.engine.runs.record import read_metrics_csv
from rdfia_tui.engine.runs.resume import can_resume, resume_config
from rdfia_tui.engine.runs.status import RunStatus
from rdfia_tui.engine.runs.summary import read_summary
from rdfia_tui.engine.training import fit

FIXTURE = Path(__file__).parent / "fixtures" / "run-written-before-the-refactor"
TIMING = ("seconds", "images_per_s")


@pytest.fixture
def old_run(tmp_path: Path) -> Path:
    runs_dir = tmp_path / "runs"
    runs_dir.mkdir()
    return Path(shutil.copytree(FIXTURE, runs_dir / FIXTURE.name))


def rows(run_dir: Path) -> list[dict[str, float]]:
    return [{k: v for k, v in row.items() if k not in TIMING} for row in read_metrics_csv(run_dir / "metrics.csv")]


def test_an_old_run_folder_is_listed_with_its_status_and_results(old_run: Path, capsys: pytest.CaptureFixture) -> None:
    (entry,) = list_runs(old_run.parent)
    assert entry["status"] == RunStatus.STOPPED and entry["epochs_completed"] == 2 and entry["preset"] == "circles-mlp"
    assert entry["run_dir"] == str(old_run) and can_resume(entry)
    assert main(["runs", "--runs-dir", str(old_run.parent)]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if old_run.name in line)
    assert "stopped" in line and "2/4" in line


def test_an_old_run_compares_with_a_new_config(old_run: Path) -> None:
    old = read_summary(old_run)["config"]
    new = with_value(resume_config(old_run), "optim.lr", 0.5).to_dict()
    assert config_differences([old, new]) == {"optim.lr": [old["optim"]["lr"], 0.5]}


def test_an_old_run_resumes_to_the_metrics_of_an_uninterrupted_run(old_run: Path, tmp_path: Path) -> None:
    cfg = resume_config(old_run)
    resumed = fit(cfg, runs_dir=old_run.parent, resume=old_run)
    assert resumed.status == RunStatus.COMPLETED and resumed.run_dir == old_run
    whole = fit(cfg, runs_dir=tmp_path / "whole")
    got, expected = rows(old_run), rows(whole.run_dir)
    assert [r["epoch"] for r in got] == [0, 1, 2, 3, 4]
    for a, b in zip(got, expected, strict=True):  # the old epochs came from another build: equal to float precision
        assert all(math.isclose(a[k], b[k], rel_tol=1e-5, abs_tol=1e-7) for k in a), (a, b)
    summary = read_summary(old_run)
    assert summary["resumed"][0]["after_epoch"] == 2 and len(summary["test_confusion"]) == 5
