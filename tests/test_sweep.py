"""Sweeps: grid parsing and its errors, sweep files, real tiny sweeps on circles, resuming, stopping, and the CLI."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
from pathlib import Path

import pytest

from rdfia_tui.engine import training
from rdfia_tui.engine.config import with_values
from rdfia_tui.engine.control import RunControl
from rdfia_tui.engine.errors import ConfigError, DataError, RdfiaError
from rdfia_tui.engine.presets import list_presets, load_preset, preset_names
from rdfia_tui.engine.runs.summary import read_summary
from rdfia_tui.engine.sweep.grid import parse_grid
from rdfia_tui.engine.sweep.plan import build_plan
from rdfia_tui.engine.sweep.records import SWEEP_CSV, read_sweep
from rdfia_tui.engine.sweep.runner import PointFinished, PointStarted, run_sweep
from rdfia_tui.engine.sweep.sources import load_source, sweep_names
from rdfia_tui.engine.sweep.view import accuracy_grid
from rdfia_tui.engine.training import RunResult
from tests.helpers import rdfia

REPO = Path(__file__).resolve().parents[1]
# relu lets a huge learning rate overflow float32 (tanh saturates and stays finite): lr 1e30 diverges for real
TINY = ["train.epochs=2", "model.activation=relu"]
TINY_GRID = ["optim.lr=0.1,100,1e30", "train.batch_size=10,0"]


# --------------------------------------------------------------------------- grid parsing


def test_grid_keeps_order_and_types_values_like_set() -> None:
    axes = parse_grid(["optim.lr=0.1,0.5,1,2", "train.batch_size=128,512", "model.hidden=[4],[8, 8]", "optim.name=sgd,'adam'"])
    assert [a.name for a in axes] == ["optim.lr", "train.batch_size", "model.hidden", "optim.name"]
    lrs = [o["optim.lr"] for o in axes[0].options]
    assert lrs == [0.1, 0.5, 1.0, 2.0] and all(type(v) is float for v in lrs)
    assert [o["train.batch_size"] for o in axes[1].options] == [128, 512]
    assert [o["model.hidden"] for o in axes[2].options] == [(4,), (8, 8)]
    assert [o["optim.name"] for o in axes[3].options] == ["sgd", "adam"]
    assert axes[0].labels() == ["0.1", "0.5", "1", "2"] and axes[2].labels() == ["[4]", "[8, 8]"]
    assert not any(a.is_bundle for a in axes)


@pytest.mark.parametrize(
    ("texts", "fragments", "key"),
    [
        (["optim.lr"], ["--grid 'optim.lr'", "expected section.key=v1,v2"], None),
        (["lr=0.1,0.2"], ["expected section.key=v1,v2"], None),
        (["optim.lr="], ["--grid optim.lr", "no values"], "optim.lr"),
        (["optim.lr=0.1,,0.5"], ["--grid optim.lr", "empty value"], "optim.lr"),
        (["optim.lr=0.1,"], ["empty value"], "optim.lr"),
        (["optim.lrr=0.1"], ["unknown key 'optim.lrr'", "did you mean 'optim.lr'"], "optim.lrr"),
        (["optim.lr=0.1,abc"], ["optim.lr", "expected a number", "'abc'"], "optim.lr"),
        (["train.batch_size=32,1.5"], ["train.batch_size", "expected an integer"], "train.batch_size"),
        (["optim.lr=-1"], ["optim.lr", "must be greater than 0"], "optim.lr"),
        (["optim.name=sgd,adamm"], ["optim.name", "did you mean 'adam'"], "optim.name"),
        (["optim.lr=0.1", "optim.lr=0.2"], ["--grid optim.lr", "given twice"], "optim.lr"),
        (["optim.lr=0.1,0.10"], ["optim.lr", "listed twice"], "optim.lr"),
    ],
)
def test_bad_grid_is_a_one_line_config_error_naming_the_key(texts: list[str], fragments: list[str], key: str | None) -> None:
    with pytest.raises(ConfigError) as info:
        parse_grid(texts)
    message = str(info.value)
    assert "\n" not in message and info.value.exit_code == 2
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert info.value.key == key


def test_plan_expands_every_combination_last_axis_fastest_with_seeds() -> None:
    plan = build_plan("circles-mlp", grid=["optim.lr=0.1,0.5", "train.batch_size=10,0"], seeds=2, overrides=["train.seed=7"])
    assert len(plan.points) == 8
    got = [(p.values["optim.lr"], p.values["train.batch_size"], p.seed) for p in plan.points]
    assert got[:4] == [(0.1, 10, 7), (0.1, 10, 8), (0.1, 0, 7), (0.1, 0, 8)]
    for p in plan.points:
        assert (p.config.optim.lr, p.config.train.batch_size, p.config.train.seed) == (
            p.values["optim.lr"],
            p.values["train.batch_size"],
            p.seed,
        )
    assert plan.points[1].text == "optim.lr=0.1 train.batch_size=10 seed=8"
    assert [p.index for p in plan.points] == list(range(1, 9))


@pytest.mark.parametrize(
    ("kwargs", "fragments"),
    [
        ({}, ["nothing to sweep", "--grid"]),
        ({"grid": ["optim.lr=0.1"], "seeds": 0}, ["--seeds", "at least 1"]),
        ({"grid": ["train.seed=1,2"], "seeds": 2}, ["train.seed is already a grid axis"]),
        ({"grid": ["optim.nesterov=false,true"]}, ["grid point optim.nesterov=true", "optim.momentum > 0"]),
        ({"grid": ["optim.lr=0.1"], "overrides": ["optim.lrr=1"]}, ["unknown key 'optim.lrr'"]),
    ],
)
def test_bad_plans_are_refused_before_anything_runs(kwargs: dict, fragments: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        build_plan("circles-mlp", **kwargs)
    for fragment in fragments:
        assert fragment in str(info.value)


# --------------------------------------------------------------------------- sweep files


def test_shipped_sweeps_load_on_the_cifar10_convnet_preset() -> None:
    assert sweep_names() == ["cifar10-lr-batch", "cifar10-optimisers", "cifar10-schedules"]
    base = load_preset("cifar10-convnet").to_dict()
    expected = {
        "cifar10-lr-batch": (8, ["optim.lr", "train.batch_size"]),
        "cifar10-optimisers": (5, ["optimiser"]),
        "cifar10-schedules": (4, ["schedule"]),
    }
    for name, (n_points, axes) in expected.items():
        plan = build_plan(name)
        assert (len(plan.points), [a.name for a in plan.axes], plan.base_preset) == (n_points, axes, "cifar10-convnet")
        assert {k: v for k, v in plan.base.to_dict().items() if k not in ("name", "description")} == {
            k: v for k, v in base.items() if k not in ("name", "description")
        }
        assert plan.base.name == name
    lr_batch = build_plan("cifar10-lr-batch")
    assert [(p.config.optim.lr, p.config.train.batch_size) for p in lr_batch.points] == [
        (lr, b) for lr in (0.1, 0.5, 1.0, 2.0) for b in (128, 512)
    ]
    optimisers = build_plan("cifar10-optimisers")
    assert [p.config.optim.name for p in optimisers.points] == ["sgd", "adagrad", "adadelta", "rmsprop", "adam"]
    assert optimisers.axes[0].labels()[4] == "adam lr=0.001"
    schedules = build_plan("cifar10-schedules")
    assert [p.config.schedule.name for p in schedules.points] == ["constant", "time", "step", "exponential"]
    # a key a bundle leaves out keeps the base value
    assert schedules.points[0].config.schedule.gamma == 0.95 and schedules.points[2].config.schedule.gamma == 0.5


def test_sweep_presets_do_not_disturb_the_preset_list() -> None:
    assert not set(sweep_names()) & set(preset_names())
    assert not [p for p in list_presets() if "invalid" in p.description]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_sweep_file_with_base_sections_seeds_and_both_key_spellings(tmp_path: Path) -> None:
    write(tmp_path / "mine.toml", 'name = "mine"\n[model]\nactivation = "relu"\n[train]\nepochs = 3\nseed = 5\n')
    sweep = write(
        tmp_path / "s.toml",
        'name = "lr-sweep"\n[sweep]\nbase = "mine.toml"\nseeds = 2\n[train]\nepochs = 1\n'
        '[grid]\noptim.lr = [0.1, 1]\n"train.batch_size" = [10, 0]\n',
    )
    source = load_source(str(sweep))
    assert source.seeds == 2 and source.name == "lr-sweep" and [a.name for a in source.axes] == ["optim.lr", "train.batch_size"]
    assert source.config.model.activation == "relu" and source.config.train.epochs == 1  # the sweep file's section wins over its base
    plan = build_plan(str(sweep), grid=["optim.lr=0.3"], seeds=1)  # --grid replaces the file's axis of the same key
    assert [(p.config.optim.lr, p.config.train.batch_size, p.seed) for p in plan.points] == [(0.3, 10, 5), (0.3, 0, 5)]


def test_a_plain_preset_file_is_a_sweep_source_with_grid(tmp_path: Path) -> None:
    preset = write(tmp_path / "p.toml", 'name = "p"\n[optim]\nlr = 0.2\n')
    plan = build_plan(str(preset), grid=["train.batch_size=1,2"])
    assert plan.name == "p" and [p.config.optim.lr for p in plan.points] == [0.2, 0.2]


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ('[grid]\n"optim.lrr" = [0.1]\n', ["[grid]", "unknown key 'optim.lrr'", "did you mean 'optim.lr'"]),
        ("[grid]\noptim.lrr = [0.1]\n", ["unknown key 'optim.lrr'", "did you mean 'optim.lr'"]),
        ('[grid]\n"optim.lr" = []\n', ["optim.lr", "empty"]),
        ('[grid]\n"optim.lr" = 0.1\n', ["optim.lr", "expected a list"]),
        ('[grid]\n"optim.lr" = [0.1, "x"]\n', ["optim.lr", "expected a number"]),
        ('[grid]\n"train.batch_size" = [1, 1]\n', ["listed twice"]),
        ('[grid]\nopt = [{ "optim.name" = "sgd" }, 0.1]\n', ["mixes tables and plain values"]),
        ('[grid]\nopt = [{ "optim.nam" = "sgd" }]\n', ["opt", "unknown key 'optim.nam'", "did you mean 'optim.name'"]),
        ("[grid]\nopt = [{}]\n", ["opt", "sets nothing"]),
        ('[sweep]\nseed = 2\n[grid]\n"optim.lr" = [0.1]\n', ["unknown key 'sweep.seed'", "did you mean 'seeds'"]),
        ('[sweep]\nseeds = 0\n[grid]\n"optim.lr" = [0.1]\n', ["sweep.seeds", "at least 1"]),
        ('[sweep]\nbase = "circles-mlpp"\n', ["sweep.base: no preset named 'circles-mlpp'", "did you mean 'circles-mlp'"]),
        ('[sweep]\nbase = "circles-mlp"\n[optim]\nlrr = 1\n[grid]\n"optim.lr" = [0.1]\n', ["unknown key 'optim.lrr'"]),
        ("grid = 1\n", ["[grid]", "expected a table"]),
        ("[grid\n", ["invalid TOML"]),
    ],
)
def test_bad_sweep_files_are_one_line_config_errors(tmp_path: Path, text: str, fragments: list[str]) -> None:
    path = write(tmp_path / "bad.toml", text)
    with pytest.raises(ConfigError) as info:
        build_plan(str(path))
    message = str(info.value)
    assert "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_an_unknown_source_suggests_a_sweep_or_preset() -> None:
    with pytest.raises(ConfigError, match="did you mean 'cifar10-lr-batch'"):
        load_source("cifar10-lr-batc")


# --------------------------------------------------------------------------- a real tiny sweep on circles


@pytest.fixture(scope="module")
def tiny_sweep(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    """lr 0.1 / 100 / 1e30 × batch 10 / full, two epochs of the relu circles MLP: six real runs."""
    folder = tmp_path_factory.mktemp("sweeps") / "tiny"
    events: list = []
    plan = build_plan("circles-mlp", grid=TINY_GRID, overrides=TINY)
    outcome = run_sweep(plan, folder, events.append)
    assert outcome.status == "completed"
    return folder, events


def test_tiny_sweep_statuses_divergence_and_chance(tiny_sweep) -> None:
    folder, events = tiny_sweep
    doc = read_sweep(folder)
    by_point = {(p["values"]["optim.lr"], p["values"]["train.batch_size"]): p for p in doc["points"]}
    assert list(by_point) == [(0.1, 10), (0.1, 0), (100.0, 10), (100.0, 0), (1e30, 10), (1e30, 0)]
    # lr 1e30 overflows for real and is recorded as diverged, never crashing the sweep
    assert [by_point[(1e30, b)]["status"] for b in (10, 0)] == ["diverged", "diverged"]
    assert all(by_point[(1e30, b)]["diverged"] and not by_point[(1e30, b)]["at_chance"] for b in (10, 0))
    assert all(by_point[(lr, b)]["status"] == "completed" for lr in (0.1, 100.0) for b in (10, 0))
    # lr 100 learns nothing: both points end at chance (1/2 on two classes)
    assert all(by_point[(100.0, b)]["at_chance"] for b in (10, 0))
    good = by_point[(0.1, 10)]
    assert good["final_test_acc"] > 0.6 and not good["at_chance"]
    for p in doc["points"]:
        if p["status"] == "completed":
            assert p["at_chance"] == (abs(p["final_test_acc"] - 0.5) <= 0.015)
    assert (
        doc["status"] == "completed" and doc["total"] == 6 and doc["grid"] == {"optim.lr": [0.1, 100.0, 1e30], "train.batch_size": [10, 0]}
    )
    assert doc["overrides"] == TINY and doc["seeds"] == 1
    started = [e.index for e in events if isinstance(e, PointStarted)]
    finished = [(e.index, e.total, e.result.status) for e in events if isinstance(e, PointFinished)]
    assert started == [1, 2, 3, 4, 5, 6]
    assert finished == [(i + 1, 6, p["status"]) for i, p in enumerate(doc["points"])]


def test_tiny_sweep_records_agree_with_each_run_summary(tiny_sweep) -> None:
    folder, _ = tiny_sweep
    doc = read_sweep(folder)
    run_dirs = sorted(p.name for p in folder.iterdir() if p.is_dir())
    assert sorted(p["run_dir"] for p in doc["points"]) == run_dirs  # one folder per point, all inside the sweep folder
    with open(folder / SWEEP_CSV, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 6
    for point, row in zip(doc["points"], rows, strict=True):
        summary = read_summary(folder / point["run_dir"])
        assert summary["status"] == point["status"]
        assert summary["final_test_acc"] == point["final_test_acc"]
        assert summary["best_test_acc"] == point["best_test_acc"] and summary["best_epoch"] == point["best_epoch"]
        assert summary["epochs"][-1]["train_acc"] == point["final_train_acc"]
        assert summary["duration_s"] == point["duration_s"]
        assert summary["config"]["optim"]["lr"] == point["values"]["optim.lr"]
        assert summary["config"]["train"]["batch_size"] == point["values"]["train.batch_size"]
        assert row["run_dir"] == point["run_dir"] and row["status"] == point["status"]
        assert float(row["optim.lr"]) == point["values"]["optim.lr"] and int(row["train.batch_size"]) == point["values"]["train.batch_size"]
        assert float(row["final_test_acc"]) == point["final_test_acc"] and float(row["best_test_acc"]) == point["best_test_acc"]
        assert row["diverged"] == ("true" if point["status"] == "diverged" else "false")
        assert row["at_chance"] == ("true" if point["at_chance"] else "false")


def counting_fit(calls: list):
    def fit(cfg, emit, control, **kwargs) -> RunResult:
        calls.append((cfg.optim.lr, cfg.train.batch_size, cfg.train.seed))
        return training.fit(cfg, emit, control, **kwargs)

    return fit


def test_resume_runs_only_the_missing_and_unfinished_points(tiny_sweep, tmp_path: Path) -> None:
    folder = tmp_path / "tiny"
    shutil.copytree(tiny_sweep[0], folder)
    doc = read_sweep(folder)
    shutil.rmtree(folder / doc["points"][2]["run_dir"])  # lr 100, batch 10: gone
    stopped = folder / doc["points"][0]["run_dir"] / "summary.json"  # lr 0.1, batch 10: made unfinished
    stopped.write_text(json.dumps({**json.loads(stopped.read_text()), "status": "stopped"}))
    calls: list = []
    events: list = []
    plan = build_plan("circles-mlp", grid=TINY_GRID, overrides=TINY, device="cpu")  # the device does not make a new point
    outcome = run_sweep(plan, folder, events.append, fit_fn=counting_fit(calls))
    assert calls == [(0.1, 10, 0), (100.0, 10, 0)]
    assert [e.index for e in events if isinstance(e, PointFinished) and e.skipped] == [2, 4, 5, 6]
    assert outcome.status == "completed" and all(r.finished for r in outcome.results)
    assert len([p for p in folder.iterdir() if p.is_dir()]) == 7  # the stopped run stays; one new folder per re-run point
    again: list = []
    run_sweep(plan, folder, fit_fn=counting_fit(again))
    assert again == []  # everything finished: nothing to train


def test_a_folder_holding_another_sweep_is_refused(tiny_sweep) -> None:
    plan = build_plan("circles-mlp", grid=TINY_GRID, overrides=["train.epochs=3", "model.activation=relu"])
    with pytest.raises(ConfigError, match=re.escape("holds another sweep: train.epochs is 2 there and 3 here")):
        run_sweep(plan, tiny_sweep[0], fit_fn=counting_fit([]))
    other_values = build_plan("circles-mlp", grid=["optim.lr=0.1,0.3", "train.batch_size=10,0"], overrides=TINY)
    with pytest.raises(ConfigError, match=re.escape("sweeps optim.lr over [0.1, 100, 1e+30], not [0.1, 0.3]")):
        run_sweep(other_values, tiny_sweep[0], fit_fn=counting_fit([]))
    more_seeds = build_plan("circles-mlp", grid=TINY_GRID, overrides=TINY, seeds=2)
    with pytest.raises(ConfigError, match=re.escape("runs 1 seed(s) per point, not 2")):
        run_sweep(more_seeds, tiny_sweep[0], fit_fn=counting_fit([]))
    assert len(read_sweep(tiny_sweep[0])["points"]) == 6  # nothing dropped
    other_axes = build_plan("circles-mlp", grid=["optim.lr=0.1"], overrides=TINY)
    with pytest.raises(ConfigError, match=re.escape("sweeps over optim.lr, train.batch_size, not optim.lr")):
        run_sweep(other_axes, tiny_sweep[0], fit_fn=counting_fit([]))


def test_seeds_repeat_each_point_with_consecutive_seeds(tmp_path: Path) -> None:
    plan = build_plan("circles-mlp", grid=["optim.lr=0.1,0.3"], seeds=2, overrides=["train.epochs=1", "train.seed=3"])
    outcome = run_sweep(plan, tmp_path / "s")
    doc = read_sweep(tmp_path / "s")
    assert [(p["values"]["optim.lr"], p["seed"]) for p in doc["points"]] == [(0.1, 3), (0.1, 4), (0.3, 3), (0.3, 4)]
    assert [read_summary(tmp_path / "s" / p["run_dir"])["seed"] for p in doc["points"]] == [3, 4, 3, 4]
    assert outcome.status == "completed" and len({p["run_dir"] for p in doc["points"]}) == 4
    first, second = (read_summary(tmp_path / "s" / doc["points"][i]["run_dir"]) for i in (0, 1))
    assert first["epochs"] != second["epochs"]  # another seed, another run


def test_stop_between_points_then_resume(tmp_path: Path) -> None:
    control = RunControl()

    def on_event(event) -> None:
        if isinstance(event, PointFinished):
            control.stop.set()

    plan = build_plan("circles-mlp", grid=["optim.lr=0.1,0.2,0.3"], overrides=["train.epochs=1"])
    outcome = run_sweep(plan, tmp_path / "s", on_event, control)
    doc = read_sweep(tmp_path / "s")
    assert outcome.status == "stopped" == doc["status"]
    assert [p["status"] for p in doc["points"]] == ["completed", "pending", "pending"]
    calls: list = []
    assert run_sweep(plan, tmp_path / "s", fit_fn=counting_fit(calls)).status == "completed"
    assert calls == [(0.2, 10, 0), (0.3, 10, 0)]


def test_a_failing_point_is_recorded_and_the_sweep_goes_on(tmp_path: Path) -> None:
    def flaky(cfg, emit, control, **kwargs):
        if cfg.optim.lr == 0.2:
            raise RuntimeError("boom")
        return training.fit(cfg, emit, control, **kwargs)

    plan = build_plan("circles-mlp", grid=["optim.lr=0.1,0.2,0.3"], overrides=["train.epochs=1"])
    outcome = run_sweep(plan, tmp_path / "s", fit_fn=flaky)
    doc = read_sweep(tmp_path / "s")
    assert [p["status"] for p in doc["points"]] == ["completed", "failed", "completed"]
    assert doc["points"][1]["message"] == "RuntimeError: boom"
    assert outcome.status == "failed" == doc["status"] and outcome.failed == [2]


def test_an_environment_error_ends_the_sweep_at_once(tmp_path: Path) -> None:
    calls: list = []

    def no_data(cfg, emit, control, **kwargs):
        calls.append(cfg.optim.lr)
        raise DataError("cifar10 is missing")

    plan = build_plan("circles-mlp", grid=["optim.lr=0.1,0.2"])
    with pytest.raises(DataError):
        run_sweep(plan, tmp_path / "s", fit_fn=no_data)
    doc = read_sweep(tmp_path / "s")
    assert calls == [0.1] and doc["status"] == "failed"
    assert [p["status"] for p in doc["points"]] == ["failed", "pending"] and doc["points"][0]["message"] == "cifar10 is missing"


# --------------------------------------------------------------------------- the accuracy grid


def test_accuracy_grid_averages_seeds_marks_best_diverged_and_chance() -> None:
    def point(choice, seed, status, acc, chance=False):
        return {"choice": choice, "seed": seed, "status": status, "final_test_acc": acc, "at_chance": chance}

    doc = {
        "labels": {"optim.lr": ["0.1", "2"], "train.batch_size": ["128", "512"]},
        "seeds": 2,
        "points": [
            point([0, 0], 0, "completed", 0.5),
            point([0, 0], 1, "completed", 0.6),
            point([0, 1], 0, "completed", 0.4),
            point([0, 1], 1, "diverged", 0.1),
            point([1, 0], 0, "diverged", 0.1),
            point([1, 0], 1, "diverged", 0.1),
            point([1, 1], 0, "completed", 0.1, True),
        ],
    }
    grid = accuracy_grid(doc)
    assert (grid.row_title, grid.col_title, grid.row_labels, grid.col_labels) == (
        "optim.lr",
        "train.batch_size",
        ["0.1", "2"],
        ["128", "512"],
    )
    texts = [[c.text for c in row] for row in grid.cells]
    kinds = [[c.kind for c in row] for row in grid.cells]
    assert texts == [["55.0", "40.0 +1 div"], ["diverged", "10.0 chance"]]
    assert kinds == [["best", "value"], ["diverged", "chance"]]
    one_axis = accuracy_grid({"labels": {"optimiser": ["sgd", "adam"]}, "points": [point([1], 0, "completed", 0.3)]})
    assert one_axis.row_labels == ["final test %"] and [c.text for c in one_axis.cells[0]] == ["·", "30.0"]


# --------------------------------------------------------------------------- the command line




CLI_SWEEP = ["sweep", "circles-mlp", "--grid", "optim.lr=0.1,1e30", "--grid", "train.batch_size=10,0"]
CLI_SWEEP += ["--set", "train.epochs=2", "--set", "model.activation=relu"]


def table_rows(stdout: str) -> dict[tuple[str, str], list[str]]:
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:3] == ["#", "optim.lr", "train.batch_size"])
    rows = {}
    for line in lines[start + 2 :]:
        if not line.strip():
            break
        cells = line.split()
        rows[(cells[1], cells[2])] = cells
    return rows


def test_cli_sweep_end_to_end_then_resume(tmp_path: Path, capsys) -> None:
    from rdfia_tui.cli.main import main

    folder = tmp_path / "sw"
    result = rdfia(*CLI_SWEEP, "--sweep-dir", str(folder), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    point_lines = [line for line in lines if line.startswith("[")]
    assert [line.split()[0] for line in point_lines] == ["[1/4]", "[2/4]", "[3/4]", "[4/4]"]
    assert "optim.lr=1e+30 train.batch_size=10: diverged: the loss became non-finite at epoch 1" in point_lines[2]
    rows = table_rows(result.stdout)
    doc = read_sweep(folder)
    for p in doc["points"]:
        row = rows[(p["labels"]["optim.lr"], p["labels"]["train.batch_size"])]
        assert row[3] == p["status"]
        if p["status"] == "completed":
            assert row[4] == f"{100 * p['final_test_acc']:.2f}%" and row[5] == f"{100 * p['best_test_acc']:.2f}%"
            assert (row[-1] == "chance") == p["at_chance"]
    assert [rows[("1e+30", b)][3] for b in ("10", "0")] == ["diverged", "diverged"]
    grid_at = lines.index(next(line for line in lines if line.startswith("final test accuracy (%)")))
    assert lines[grid_at + 4].split() == ["1e+30", "diverged", "diverged"]
    importance_at = next(i for i, line in enumerate(lines) if line.startswith("hyper-parameter importance: "))
    assert {lines[importance_at + 4].split()[0], lines[importance_at + 5].split()[0]} == {"optim.lr", "train.batch_size"}
    assert "note: 2 diverged points counted at chance (50.0%)" in lines  # circles: two classes
    assert lines[-1] == f"sweep folder: {folder}"
    folders = sorted(p.name for p in folder.iterdir() if p.is_dir())
    assert len(folders) == 4

    # the same command again (in this process: a second interpreter would only load torch again) trains nothing
    assert main([*CLI_SWEEP, "--sweep-dir", str(folder)]) == 0
    again = capsys.readouterr().out.splitlines()
    assert sum(line.startswith("[") and line.endswith("(skipped)") for line in again) == 4
    assert again[-1] == f"sweep folder: {folder}"
    assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == folders


def test_cli_bad_grid_exits_2_with_one_line(tmp_path: Path) -> None:
    result = rdfia("sweep", "circles-mlp", "--grid", "optim.lrr=0.1,0.2", cwd=tmp_path, timeout=30)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["rdfia-tui: error: --grid: unknown key 'optim.lrr'; did you mean 'optim.lr'?"]
    assert not (tmp_path / "env-runs").exists()


def test_cli_default_folder_and_failed_points_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from rdfia_tui.cli.main import main

    def flaky(cfg, emit, control, **kwargs):
        if cfg.optim.lr == 0.2:
            raise RdfiaError("that point cannot train")
        return real_fit(cfg, emit, control, **kwargs)

    real_fit = training.fit
    monkeypatch.setattr(training, "fit", flaky)
    code = main(["sweep", "circles-mlp", "--grid", "optim.lr=0.1,0.2", "--set", "train.epochs=1", "--runs-dir", str(tmp_path / "runs")])
    out, err = capsys.readouterr()
    assert code == 1
    (folder,) = (tmp_path / "runs").iterdir()
    assert folder.name.startswith("sweep-") and folder.name.endswith("-circles-mlp")
    assert "[2/2] optim.lr=0.2: failed: RdfiaError: that point cannot train" in out
    assert "1 of 2 points failed (point 2)" in err and f"--sweep-dir {folder}" in err
    assert out.splitlines()[-1] == f"sweep folder: {folder}"


def test_cli_sigint_stops_the_sweep_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from rdfia_tui.cli.main import main

    def interrupted(cfg, emit, control, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while the first point trains
        return real_fit(cfg, emit, control, **kwargs)

    real_fit = training.fit
    monkeypatch.setattr(training, "fit", interrupted)
    before = signal.getsignal(signal.SIGINT)
    folder = tmp_path / "s"
    code = main(["sweep", "circles-mlp", "--grid", "optim.lr=0.1,0.2", "--set", "train.epochs=5", "--sweep-dir", str(folder)])
    out, err = capsys.readouterr()
    assert code == 130
    assert out.splitlines()[-1] == f"sweep folder: {folder}"
    assert "SIGINT received" in err and f"sweep stopped: 0 of 2 points finished; run the same command with --sweep-dir {folder}" in err
    doc = read_sweep(folder)
    assert doc["status"] == "stopped" and [p["status"] for p in doc["points"]] == ["stopped", "pending"]
    assert signal.getsignal(signal.SIGINT) is before  # the handler is given back


def test_with_values_is_what_a_point_trains() -> None:
    # the sweep builds each point with the config's own with_values: the same validation as --set
    plan = build_plan("circles-mlp", grid=["optim.lr=0.5"])
    assert plan.points[0].config == with_values(load_preset("circles-mlp"), {"optim.lr": 0.5, "train.seed": 0})
