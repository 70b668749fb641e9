"""Run records: the run folder, config.toml, metrics.csv and summary.json, written atomically."""

from __future__ import annotations

import json
import math
import os
import platform
import re
import time
import tomllib
from datetime import datetime
from pathlib import Path

import pytest
import torch
import torchvision

from rdfia_tui.engine.config import RunConfig, apply_overrides
from rdfia_tui.engine.errors import RecordError, RecordWriteError
from rdfia_tui.engine.events import EpochMetrics
from rdfia_tui.engine.presets import load, load_preset
from rdfia_tui.engine.runs import record as records
from rdfia_tui.engine.runs.files import atomic_write
from rdfia_tui.engine.runs.listing import list_runs
from rdfia_tui.engine.runs.record import RunRecord, create_run_dir, metrics_csv, read_metrics_csv, resolve_runs_dir
from rdfia_tui.engine.runs.summary import read_summary
from rdfia_tui.engine.training import fit


def _strict_json(text: str):
    """json.loads that refuses NaN and Infinity, as every other JSON reader does."""

    def refuse(name: str):
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def _quick(*overrides: str) -> RunConfig:
    return apply_overrides(load_preset("circles-mlp"), ["train.device=cpu", "train.epochs=4", "train.batch_size=40", *overrides])


def _same(csv_value: float, json_value: float | None) -> bool:
    if json_value is None:
        return math.isnan(csv_value)
    return csv_value == json_value


# --- one finished run -----------------------------------------------------------------------


def test_run_folder_files_agree(runs_dir: Path) -> None:
    cfg = _quick()
    before = time.time()
    result = fit(cfg, runs_dir=runs_dir)
    elapsed = time.time() - before
    run = result.run_dir
    assert run.parent == runs_dir
    match = re.fullmatch(r"(\d{8}-\d{6})-circles-mlp", run.name)
    assert match, run.name
    stamp = datetime.strptime(match.group(1), "%Y%m%d-%H%M%S").timestamp()
    assert before - 2 <= stamp <= before + elapsed + 1
    assert sorted(p.name for p in run.iterdir()) == ["config.toml", "events.jsonl", "live.json", "metrics.csv", "summary.json"]

    # config.toml is the resolved config, loadable as a preset again
    toml = tomllib.loads((run / "config.toml").read_text(encoding="utf-8"))
    assert toml == {**cfg.to_dict(), "lesson": tomllib.loads(cfg.lesson.to_toml())["lesson"]}  # the settings, and the lesson
    assert load(run / "config.toml") == cfg

    summary = _strict_json((run / "summary.json").read_text(encoding="utf-8"))
    assert summary == read_summary(run) == result.summary
    rows = read_metrics_csv(run / "metrics.csv")
    assert [r["epoch"] for r in rows] == [0, 1, 2, 3, 4]
    assert list(rows[0]) == list(EpochMetrics.columns())
    assert len(rows) == len(summary["epochs"])
    for row, epoch in zip(rows, summary["epochs"], strict=True):
        assert set(row) == set(epoch)
        assert all(_same(row[k], epoch[k]) for k in row), (row, epoch)

    assert summary["status"] == "completed" and summary["message"] == ""
    assert summary["preset"] == "circles-mlp" and summary["run_dir"] == str(run)
    assert summary["config"] == cfg.to_dict()
    assert summary["epochs_completed"] == 4
    assert summary["final_test_acc"] == rows[-1]["test_acc"]
    best = max(r["test_acc"] for r in rows)
    assert summary["best_test_acc"] == best
    assert rows[summary["best_epoch"]]["test_acc"] == best
    # 2-4-2 MLP: (2*4 + 4) + (4*2 + 2)
    assert summary["params"] == summary["layers"]["total_params"] == 22
    assert sum(r["params"] for r in summary["layers"]["rows"]) == 22
    assert summary["versions"]["python"] == platform.python_version()
    assert summary["versions"]["torch"] == torch.__version__
    assert summary["versions"]["torchvision"] == torchvision.__version__
    assert summary["seed"] == cfg.train.seed == 0
    assert summary["device"] == "cpu"
    assert 0 <= summary["duration_s"] <= elapsed + 0.01
    assert summary["sizes"] == {"train": 800, "val": 200, "test": 500}
    assert summary["class_names"] == ["0", "1"]
    started = datetime.strptime(summary["started_at"], "%Y-%m-%dT%H:%M:%S%z").timestamp()
    finished = datetime.strptime(summary["finished_at"], "%Y-%m-%dT%H:%M:%S%z").timestamp()
    assert before - 1 <= started <= finished <= before + elapsed + 1


def test_preset_name_is_made_safe_for_a_folder(runs_dir: Path) -> None:
    result = fit(
        apply_overrides(RunConfig(name="my run/2 ✓"), ["train.device=cpu", "train.epochs=1", "data.n_samples=50"]), runs_dir=runs_dir
    )
    assert result.run_dir.parent == runs_dir
    assert re.fullmatch(r"\d{8}-\d{6}-my-run-2", result.run_dir.name), result.run_dir.name
    assert read_summary(result.run_dir)["preset"] == "my run/2 ✓"


def test_runs_dir_comes_from_the_environment(runs_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_runs_dir() == runs_dir
    assert resolve_runs_dir(tmp_path / "x") == tmp_path / "x"
    monkeypatch.delenv(records.ENV_RUNS)
    assert resolve_runs_dir() == Path("runs")
    monkeypatch.setenv(records.ENV_RUNS, str(runs_dir))
    result = fit(_quick("train.epochs=1"), runs_dir=None)
    assert result.run_dir.parent == runs_dir


def test_runs_started_in_the_same_second_get_distinct_folders(runs_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = time.strftime

    def frozen(fmt: str, *args):
        return "20240102-030405" if fmt == "%Y%m%d-%H%M%S" else real(fmt, *args)

    monkeypatch.setattr(records.time, "strftime", frozen)
    dirs = [create_run_dir(runs_dir, "p") for _ in range(3)]
    assert [d.name for d in dirs] == ["20240102-030405-p", "20240102-030405-p-2", "20240102-030405-p-3"]
    assert all(d.is_dir() for d in dirs)
    a = fit(_quick("train.epochs=1"), runs_dir=runs_dir)
    b = fit(_quick("train.epochs=1"), runs_dir=runs_dir)
    assert a.run_dir != b.run_dir
    assert a.run_dir.name.startswith("20240102-030405-circles-mlp")
    assert read_summary(a.run_dir)["run_dir"] == str(a.run_dir)
    assert read_summary(b.run_dir)["run_dir"] == str(b.run_dir)


# --- atomic writes ---------------------------------------------------------------------------


def test_atomic_write_replaces_whole_content(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    atomic_write(path, "first version, rather long\n" * 100)
    atomic_write(path, "short")
    assert path.read_text(encoding="utf-8") == "short"
    atomic_write(path, "ünïcode ✓\nline\r\n")
    assert path.read_bytes() == "ünïcode ✓\nline\r\n".encode()
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_atomic_write_failure_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "summary.json"
    atomic_write(path, '{"ok": true}\n')
    with pytest.raises(UnicodeEncodeError):
        atomic_write(path, "broken \ud800 surrogate")
    assert path.read_text(encoding="utf-8") == '{"ok": true}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(records.os, "fsync", disk_full)
    with pytest.raises(RecordWriteError) as info:
        atomic_write(path, '{"ok": false}\n')
    assert str(info.value) == f"could not write {path} (No space left on device)"
    assert path.read_text(encoding="utf-8") == '{"ok": true}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]


# --- unwritable runs folder ------------------------------------------------------------------


def test_runs_dir_under_a_regular_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(RecordError) as info:
        create_run_dir(blocker / "runs", "p")
    message = str(info.value)
    assert "\n" not in message
    assert str(blocker / "runs") in message and "--runs-dir" in message


def test_fit_with_an_unwritable_runs_dir_raises_before_training(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    events: list = []
    with pytest.raises(RecordError) as info:
        fit(_quick(), events.append, runs_dir=blocker)
    assert "\n" not in str(info.value)
    assert events == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores folder permissions")
def test_read_only_runs_dir(tmp_path: Path) -> None:
    runs = tmp_path / "ro"
    runs.mkdir()
    runs.chmod(0o500)
    try:
        with pytest.raises(RecordError) as info:
            create_run_dir(runs, "p")
        assert "\n" not in str(info.value) and str(runs) in str(info.value)
    finally:
        runs.chmod(0o700)


# --- reading runs back ------------------------------------------------------------------------


def test_list_runs_reads_summaries_and_lists_corrupt_ones_as_unreadable(runs_dir: Path) -> None:
    assert list_runs(runs_dir) == []
    first = fit(_quick("train.epochs=1"), runs_dir=runs_dir)
    second = fit(_quick("train.epochs=2", "train.seed=3"), runs_dir=runs_dir)
    broken = runs_dir / "zzzz-broken"
    broken.mkdir()
    (broken / "summary.json").write_text('{"status": "completed", "epochs": [', encoding="utf-8")
    binary = runs_dir / "zzzz-binary"
    binary.mkdir()
    (binary / "summary.json").write_bytes(b"\xff\xfe\x00garbage")
    (runs_dir / "zzzz-empty").mkdir()
    (runs_dir / "stray.txt").write_text("hello")
    runs = list_runs(runs_dir)
    assert [r["run_dir"] for r in runs] == sorted([str(first.run_dir), str(second.run_dir), str(broken), str(binary)])
    assert [r["status"] for r in runs[2:]] == ["unreadable", "unreadable"]  # listed, never hidden; the empty folder is no run
    by_dir = {r["run_dir"]: r for r in runs}
    assert by_dir[str(first.run_dir)] == first.summary
    assert by_dir[str(second.run_dir)]["epochs_completed"] == 2
    assert by_dir[str(second.run_dir)]["seed"] == 3
    assert list_runs(runs_dir / "absent") == []


# --- NaN and JSON --------------------------------------------------------------------------


def test_nan_metrics_are_null_in_strict_json(runs_dir: Path) -> None:
    result = fit(_quick("data.val_split=0"), runs_dir=runs_dir)
    text = (result.run_dir / "summary.json").read_text(encoding="utf-8")
    summary = _strict_json(text)
    assert summary["sizes"]["val"] == 0
    assert all(e["val_loss"] is None and e["val_acc"] is None for e in summary["epochs"])
    assert all(isinstance(e["test_acc"], float) for e in summary["epochs"])
    assert result.summary == summary
    rows = read_metrics_csv(result.run_dir / "metrics.csv")
    assert all(math.isnan(r["val_loss"]) and math.isnan(r["val_acc"]) for r in rows)


def test_record_with_non_finite_values(tmp_path: Path) -> None:
    run_dir = tmp_path / "r"
    run_dir.mkdir()
    cfg = RunConfig(name="r")
    record = RunRecord(run_dir, cfg, device="cpu", layers={"total_params": 5}, sizes={"train": 1, "val": 0, "test": 1}, class_names=("a",))
    record.epochs.append(EpochMetrics(0, math.inf, 0.5, math.nan, math.nan, -math.inf, math.nan, 0.1, 0.0, 0.0))
    record.epochs.append(EpochMetrics(1, 1.5, 0.5, math.nan, math.nan, 2.0, 0.25, 0.1, 1.0, 10.0))
    summary = record.finish("diverged", "boom")
    parsed = _strict_json((run_dir / "summary.json").read_text(encoding="utf-8"))
    assert parsed == summary
    assert parsed["epochs"][0]["train_loss"] is None and parsed["epochs"][0]["test_loss"] is None
    assert parsed["final_test_acc"] == 0.25 and parsed["best_test_acc"] == 0.25 and parsed["best_epoch"] == 1
    assert parsed["status"] == "diverged" and parsed["message"] == "boom"
    rows = read_metrics_csv(run_dir / "metrics.csv")
    assert rows[0]["train_loss"] == math.inf and rows[0]["test_loss"] == -math.inf
    assert rows[1]["seconds"] == 1.0 and rows[1]["images_per_s"] == 10.0


def test_metrics_csv_round_trips_floats_exactly() -> None:
    values = [0.1 + 0.2, 1 / 3, 2.5e-12, 123456.789]
    row = EpochMetrics(7, *values, 0.25, 0.125, 3e-4, 1.0, 2.0)
    text = metrics_csv([row])
    lines = text.splitlines()
    assert lines[0] == ",".join(EpochMetrics.columns())
    parsed = dict(zip(lines[0].split(","), lines[1].split(","), strict=True))
    assert int(parsed["epoch"]) == 7
    assert float(parsed["train_loss"]) == 0.1 + 0.2 and float(parsed["train_acc"]) == 1 / 3
    assert float(parsed["val_loss"]) == 2.5e-12 and float(parsed["lr"]) == 3e-4
