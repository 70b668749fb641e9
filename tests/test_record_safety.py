"""Run records a lab can share, resumes that refuse other data, and a full disk that ends a run in one line."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from rdfia_tui.cli.main import main
from rdfia_tui.engine.config import apply_overrides
from rdfia_tui.engine.control import RunControl
from rdfia_tui.engine.events import EpochEnded
from rdfia_tui.engine.presets import load_preset
from rdfia_tui.engine.runs import listing as records
from rdfia_tui.engine.runs.listing import list_runs
from rdfia_tui.engine.runs.summary import read_summary
from rdfia_tui.engine.training import fit
from tests.helpers import RUN_FILES_WITH_CHECKPOINT

REPO = Path(__file__).resolve().parents[1]


# --- 5a. file modes ------------------------------------------------------------------------------


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("umask", [0o002, 0o022, 0o077])
def test_records_get_the_mode_a_plain_open_gives(runs_dir: Path, umask: int) -> None:
    previous = os.umask(umask)
    try:
        cfg = apply_overrides(load_preset("circles-mlp"), ["train.epochs=1", "train.checkpoint=epoch", "train.device=cpu"])
        result = fit(cfg, runs_dir=runs_dir)
    finally:
        os.umask(previous)
    for name in ("config.toml", "metrics.csv", "summary.json", "checkpoint.pt"):
        assert mode_of(result.run_dir / name) == 0o666 & ~umask, name
    assert not list(result.run_dir.glob(".*.tmp"))


def test_sweep_records_are_shared_too(tmp_path: Path, runs_dir: Path) -> None:
    previous = os.umask(0o002)
    try:
        code = main(["sweep", "circles-mlp", "--grid", "optim.lr=0.1,0.3", "--set", "train.epochs=1", "--runs-dir", str(runs_dir)])
    finally:
        os.umask(previous)
    assert code == 0
    (sweep,) = runs_dir.iterdir()
    assert mode_of(sweep / "sweep.json") == 0o664 and mode_of(sweep / "sweep.csv") == 0o664


# --- 5b. nothing hidden in the list ---------------------------------------------------------------


def make_run(runs_dir: Path) -> Path:
    cfg = apply_overrides(load_preset("circles-mlp"), ["train.epochs=1", "train.device=cpu"])
    return fit(cfg, runs_dir=runs_dir).run_dir


def test_runs_that_cannot_be_read_are_listed_as_unreadable(runs_dir: Path, capsys: pytest.CaptureFixture) -> None:
    good, corrupt, listed = make_run(runs_dir), make_run(runs_dir), make_run(runs_dir)
    (corrupt / "summary.json").write_text('{"status": "compl')
    (listed / "summary.json").write_text("[1, 2]")
    (runs_dir / "20990101-000000-half").mkdir()
    (runs_dir / "20990101-000000-half" / "config.toml").write_text('name = "half"\n')
    runs = {Path(s["run_dir"]).name: s for s in list_runs(runs_dir)}
    assert runs[good.name]["status"] == "completed"
    assert runs[corrupt.name]["status"] == "unreadable" and "not valid JSON" in runs[corrupt.name]["message"]
    assert runs[listed.name]["status"] == "unreadable" and "does not hold a run summary" in runs[listed.name]["message"]
    assert runs["20990101-000000-half"]["status"] == "unreadable" and "no summary.json" in runs["20990101-000000-half"]["message"]
    assert main(["runs", "--runs-dir", str(runs_dir)]) == 0
    out = capsys.readouterr().out
    assert f"unreadable: {corrupt.name}: summary.json is not valid JSON" in out
    rows = [line.split()[0] for line in out.splitlines()[2:] if line and not line.startswith("unreadable:")]
    assert rows == sorted(rows, reverse=True)  # newest first, as in the console


BAD_FIELDS = [
    ("final_test_acc", "x", 'final_test_acc is "x", not a number or null'),
    ("best_test_acc", [1], "best_test_acc is [1], not a number or null"),
    ("config", "x", 'config is "x", not a table'),
    ("config", None, "config is null, not a table"),
    ("epochs_completed", "many", 'epochs_completed is "many", not a whole number'),
    ("epochs_completed", True, "epochs_completed is true, not a whole number"),
    ("status", "weird", "status 'weird' is not one of"),
    ("epochs", [1], "epochs holds an entry that is not a table"),
    ("lr_changes", {}, "lr_changes is {}, not a list"),
]


@pytest.mark.parametrize(("key", "value", "reason"), BAD_FIELDS, ids=[f"{k}={v!r}" for k, v, _ in BAD_FIELDS])
def test_a_summary_with_a_value_of_the_wrong_type_is_listed_as_unreadable(
    runs_dir: Path, capsys: pytest.CaptureFixture, key: str, value: object, reason: str
) -> None:
    """Hand-edited or foreign summaries: the run is listed as unreadable with the reason, never a traceback."""
    run = make_run(runs_dir)
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    (run / "summary.json").write_text(json.dumps({**summary, key: value}), encoding="utf-8")
    (entry,) = list_runs(runs_dir)
    assert entry["status"] == "unreadable" and reason in entry["message"], entry["message"]
    assert main(["runs", "--runs-dir", str(runs_dir)]) == 0
    assert f"unreadable: {run.name}: summary.json: {reason}" in capsys.readouterr().out


def test_a_run_folder_without_its_config_is_listed_as_unreadable(runs_dir: Path) -> None:
    run = make_run(runs_dir)
    (run / "config.toml").unlink()
    (entry,) = list_runs(runs_dir)
    assert entry["status"] == "unreadable" and "no config.toml" in entry["message"]


def test_a_summary_without_permission_is_listed(runs_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = make_run(runs_dir)
    real = records.read_summary

    def denied(folder: Path) -> dict:
        if folder == run:
            raise PermissionError(13, "Permission denied")
        return real(folder)

    monkeypatch.setattr(records, "read_summary", denied)
    (entry,) = list_runs(runs_dir)
    assert entry["status"] == "unreadable" and entry["message"] == "summary.json: Permission denied"


def test_runs_lists_sweep_folders(runs_dir: Path, capsys: pytest.CaptureFixture) -> None:
    make_run(runs_dir)
    assert main(["sweep", "circles-mlp", "--grid", "optim.lr=0.1,0.3", "--set", "train.epochs=1", "--runs-dir", str(runs_dir)]) == 0
    capsys.readouterr()
    assert main(["runs", "--runs-dir", str(runs_dir)]) == 0
    out = capsys.readouterr().out
    assert "sweep (newest first)" in out
    sweep_line = next(line for line in out.splitlines() if line.startswith("sweep-"))
    assert "circles-mlp" in sweep_line and "2/2" in sweep_line


# --- 5c. resume on the same data only --------------------------------------------------------------


def write_data(path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(120, 2)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    np.savez(path, x_train=x[:100], y_train=y[:100], x_test=x[100:], y_test=y[100:])


def stopped_after_epoch_one(folder: Path, runs_dir: Path) -> Path:
    """A checkpointed run on the relative path data.npz, started in ``folder``, stopped after epoch 1."""
    control = RunControl()

    def emit(event: object) -> None:
        if isinstance(event, EpochEnded) and event.metrics.epoch == 1:
            control.stop.set()

    overrides = ["data.dataset=npz", "data.path=data.npz", "train.epochs=4", "train.checkpoint=epoch", "train.device=cpu"]
    cfg = apply_overrides(load_preset("circles-mlp"), overrides)
    cwd = Path.cwd()
    os.chdir(folder)
    try:
        result = fit(cfg, emit, control, runs_dir=runs_dir)
    finally:
        os.chdir(cwd)
    assert result.status == "stopped"
    return result.run_dir


def test_config_toml_records_the_absolute_data_path(tmp_path: Path, runs_dir: Path) -> None:
    (tmp_path / "a").mkdir()
    write_data(tmp_path / "a" / "data.npz", seed=0)
    run_dir = stopped_after_epoch_one(tmp_path / "a", runs_dir)
    assert f'path = "{tmp_path / "a" / "data.npz"}"' in (run_dir / "config.toml").read_text()
    assert read_summary(run_dir)["data_fingerprint"]["train"]["n"] == 80


def test_resume_from_another_folder_trains_on_the_original_file(tmp_path: Path, runs_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, seed in (("a", 0), ("b", 1)):
        (tmp_path / name).mkdir()
        write_data(tmp_path / name / "data.npz", seed)
    run_dir = stopped_after_epoch_one(tmp_path / "a", runs_dir)
    monkeypatch.chdir(tmp_path / "b")  # another folder with its own data.npz: it must not be picked up
    assert main(["resume", str(run_dir)]) == 0
    summary = read_summary(run_dir)
    assert summary["status"] == "completed" and summary["epochs_completed"] == 4


@pytest.mark.parametrize(
    ("change", "words"),
    [("labels", "the training labels differ"), ("inputs", "the training inputs differ"), ("size", "has 72 examples, not 80")],
)
def test_resume_on_changed_data_is_refused_naming_what_differs(
    tmp_path: Path, runs_dir: Path, capsys: pytest.CaptureFixture, change: str, words: str
) -> None:
    (tmp_path / "a").mkdir()
    data = tmp_path / "a" / "data.npz"
    write_data(data, seed=0)
    run_dir = stopped_after_epoch_one(tmp_path / "a", runs_dir)
    before = (run_dir / "checkpoint.pt").read_bytes()
    with np.load(data) as npz:
        arrays = dict(npz)
    if change == "labels":
        arrays["y_train"] = 1 - arrays["y_train"]
    elif change == "inputs":
        arrays["x_train"] = arrays["x_train"] + 0.5
    else:
        arrays = {k: v[:90] if k.endswith("train") else v for k, v in arrays.items()}
    np.savez(data, **arrays)
    capsys.readouterr()
    assert main(["resume", str(run_dir)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"cannot resume {run_dir}" in err and words in err and "Traceback" not in err
    assert (run_dir / "checkpoint.pt").read_bytes() == before and read_summary(run_dir)["status"] == "stopped"


# --- 5d. a full disk ---------------------------------------------------------------------------------

DISK_FULL = textwrap.dedent(
    """
    import resource, signal, sys
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead of killing
    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    from rdfia_tui.cli.main import main
    sys.exit(main(sys.argv[2:]))
    """
)


def test_a_checkpoint_the_disk_refuses_ends_the_run_in_one_line(tmp_path: Path) -> None:
    """Momentum buffers appear after the first step, so epoch 1's checkpoint is twice epoch 0's: the limit lets only epoch 0's through."""
    runs = tmp_path / "runs"
    argv = ["run", "circles-mlp", "--set", "model.hidden=256,256", "--set", "optim.momentum=0.9", "--set", "train.epochs=3"]
    argv += ["--set", "train.checkpoint=epoch", "--set", "train.device=cpu", "--runs-dir", str(runs)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", DISK_FULL, str(400_000), *argv], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 1, proc.stderr
    (run_dir,) = runs.iterdir()
    kept = f"the checkpoint of epoch 0 is kept; free space and run 'rdfia-tui resume {run_dir}'"
    line = f"could not write checkpoint.pt (File too large); {kept}"
    assert proc.stderr == f"rdfia-tui: run failed: {line}\n"
    summary = read_summary(run_dir)
    assert summary["status"] == "failed" and summary["message"] == line
    state = torch.load(run_dir / "checkpoint.pt", weights_only=True)
    assert state["epoch"] == 0
    assert sorted(p.name for p in run_dir.iterdir()) == RUN_FILES_WITH_CHECKPOINT
