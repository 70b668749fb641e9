"""Sweeps on Ray: a local Ray instance (2 CPUs) trains a sweep's points as Tune trials; the sweep folder is the
in-process sweep's (same points, same accuracies), resumes, and ASHA prunes a hopeless point."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from rdfia_tui.engine.runs.status import RunStatus
from rdfia_tui.engine.sweep.plan import build_plan
from rdfia_tui.engine.sweep.runner import PointFinished, run_sweep
from rdfia_tui.engine.sweep.view import accuracy_grid
from tests.helpers import rdfia

ray = pytest.importorskip("ray", reason='Ray is an optional extra: pip install -e ".[ray]" in the rdfia-tui clone')
pytest.importorskip("ray.tune", reason='Ray Tune is part of the ray extra: pip install -e ".[ray]" in the rdfia-tui clone')

from rdfia_tui.engine.sweep.on_ray import RayOptions, run_sweep_on_ray  # noqa: E402

LOCAL = RayOptions(num_cpus=2, cpus_per_trial=1)
TIMED = ("seconds", "images_per_s")


def metrics(folder: Path) -> list[dict[str, str]]:
    with open(folder / "metrics.csv", newline="") as fh:
        return [{k: v for k, v in row.items() if k not in TIMED} for row in csv.DictReader(fh)]


def sweep_doc(folder: Path) -> dict:
    return json.loads((folder / "sweep.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray instance (2 CPUs) for the sweeps of this module; a sweep joins an instance already started."""
    ray.init(num_cpus=2, num_gpus=0, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def test_a_ray_sweep_writes_the_in_process_sweep_and_resumes(tmp_path: Path, local_ray: None) -> None:
    """Both sweeps train with one thread (what a 1-CPU trial gets), so their float sums agree."""
    overrides = ["train.epochs=2", "train.device=cpu", "train.threads=1"]
    plan = build_plan("circles-mlp", grid=["optim.lr=0.3,0.1", "train.batch_size=32,64"], overrides=overrides)
    here = run_sweep(plan, tmp_path / "here")
    seen: list[PointFinished] = []
    on_ray = run_sweep_on_ray(plan, tmp_path / "ray", lambda e: seen.append(e) if isinstance(e, PointFinished) else None, options=LOCAL)
    assert on_ray.status == here.status == RunStatus.COMPLETED
    assert sorted(e.index for e in seen) == [1, 2, 3, 4]
    a, b = sweep_doc(tmp_path / "here"), sweep_doc(tmp_path / "ray")
    assert [p["values"] for p in a["points"]] == [p["values"] for p in b["points"]]
    for p, q in zip(a["points"], b["points"], strict=True):
        assert (p["status"], p["final_test_acc"], p["best_test_acc"], p["best_epoch"]) == (
            q["status"], q["final_test_acc"], q["best_test_acc"], q["best_epoch"],
        )  # fmt: skip
        assert metrics(tmp_path / "here" / p["run_dir"]) == metrics(tmp_path / "ray" / q["run_dir"])
        summary = json.loads((tmp_path / "ray" / q["run_dir"] / "summary.json").read_text(encoding="utf-8"))
        assert summary["run_dir"] == str(tmp_path / "ray" / q["run_dir"])  # copied back from the trial's folder
    assert (tmp_path / "ray" / "sweep.csv").read_text().count("\n") == 5
    folders = sorted(p.name for p in (tmp_path / "ray").iterdir())
    again: list[PointFinished] = []
    resumed = run_sweep_on_ray(plan, tmp_path / "ray", lambda e: again.append(e) if isinstance(e, PointFinished) else None, options=LOCAL)
    assert resumed.status == RunStatus.COMPLETED and all(e.skipped for e in again) and len(again) == 4
    assert sorted(p.name for p in (tmp_path / "ray").iterdir()) == folders  # nothing trained twice


def test_asha_prunes_a_hopeless_point_and_the_grid_says_so(tmp_path: Path, local_ray: None) -> None:
    plan = build_plan("moons-mlp", grid=["optim.lr=0.3,0.2,0.1,1e-7"], overrides=["train.epochs=4", "train.device=cpu"])
    outcome = run_sweep_on_ray(plan, tmp_path / "asha", options=RayOptions(num_cpus=2, scheduler="asha"))
    doc = sweep_doc(tmp_path / "asha")
    statuses = [p["status"] for p in doc["points"]]
    assert statuses[-1] == RunStatus.PRUNED, statuses
    assert "ASHA" in doc["points"][-1]["message"]
    assert outcome.status == RunStatus.COMPLETED  # a pruned point is a result, like a diverged one
    run = json.loads((tmp_path / "asha" / doc["points"][-1]["run_dir"] / "summary.json").read_text(encoding="utf-8"))
    assert run["status"] == RunStatus.STOPPED and run["epochs_completed"] < 4
    cells = [cell.text for row in accuracy_grid(doc).cells for cell in row]
    assert "pruned" in cells
    folders = sorted(p.name for p in (tmp_path / "asha").iterdir())
    again: list[PointFinished] = []
    run_sweep_on_ray(plan, tmp_path / "asha", lambda e: again.append(e) if isinstance(e, PointFinished) else None, options=LOCAL)
    assert len(again) == 4 and all(e.skipped for e in again)  # a pruned point is a result: resuming skips it
    assert [p["status"] for p in sweep_doc(tmp_path / "asha")["points"]] == statuses
    assert sorted(p.name for p in (tmp_path / "asha").iterdir()) == folders


def test_without_ray_the_flag_says_how_to_install_it(tmp_path: Path) -> None:
    shadow = tmp_path / "no-ray"
    shadow.mkdir()
    (shadow / "ray.py").write_text("raise ImportError('ray is hidden in this test')\n")
    args = ["sweep", "circles-mlp", "--grid", "optim.lr=0.1,0.3", "--ray", "--runs-dir", "runs"]
    result = rdfia(*args, cwd=tmp_path, PYTHONPATH=str(shadow))
    assert result.returncode == 2
    said = 'rdfia-tui: error: Ray is not installed; install it with: pip install -e ".[ray]" in the rdfia-tui clone'
    assert result.stderr.strip() == said
    assert not (tmp_path / "runs").exists()  # no sweep folder was made


def test_an_address_nobody_answers_is_one_line_and_makes_no_folder(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port that was just free: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = rdfia("sweep", "circles-mlp", "--grid", "optim.lr=0.1,0.3", "--ray", f"127.0.0.1:{port}", "--runs-dir", "runs", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().startswith(f"rdfia-tui: error: --ray 127.0.0.1:{port}: no Ray cluster answers there")
    assert not (tmp_path / "runs").exists()


def test_a_trial_larger_than_the_cluster_is_refused_not_waited_for(tmp_path: Path, local_ray: None) -> None:
    from rdfia_tui.engine.errors import ConfigError

    plan = build_plan("circles-mlp", grid=["optim.lr=0.1,0.3"], overrides=["train.epochs=1"])
    with pytest.raises(ConfigError, match=r"--gpus-per-trial 1: the Ray cluster has 0 GPUs in all"):
        run_sweep_on_ray(plan, tmp_path / "big", options=RayOptions(gpus_per_trial=1))
