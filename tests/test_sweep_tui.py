"""Pilot tests of the sweep screen: a real tiny sweep's accuracy grid and curves, and handcrafted sweep records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import DataTable
from tui_fakes import ScriptedEngine, wait_for

from rdfia_tui.engine.runs.summary import read_summary
from rdfia_tui.engine.sweep.plan import build_plan
from rdfia_tui.engine.sweep.records import read_sweep, write_sweep
from rdfia_tui.engine.sweep.runner import run_sweep
from rdfia_tui.tui import app as app_mod
from rdfia_tui.tui.options import AppOptions
from rdfia_tui.tui.screens import sweep as sweep_screen
from rdfia_tui.tui.screens.runs import RunsScreen
from rdfia_tui.tui.screens.sweep import SweepScreen


async def open_sweeps(pilot, app) -> SweepScreen:
    await wait_for(pilot, lambda: app.main.form.config is not None)
    await pilot.press("escape", "w")  # escape leaves any text field, so w reaches the app
    await wait_for(pilot, lambda: isinstance(app.screen, SweepScreen) and app.screen.doc is not None)
    return app.screen


class SweepHost(App):
    """Just the sweep screen, without the console's main screen: most tests need nothing else."""

    def __init__(self, runs_dir: Path) -> None:
        super().__init__()
        self.runs_dir = runs_dir

    def on_mount(self) -> None:
        self.push_screen(SweepScreen(self.runs_dir))


async def hosted(pilot, app: SweepHost) -> SweepScreen:
    await wait_for(pilot, lambda: isinstance(app.screen, SweepScreen) and app.screen.doc is not None)
    return app.screen


def heatmap(screen: SweepScreen) -> list[list[str]]:
    table = screen.query_one("#sweep-heatmap", DataTable)
    header = [str(c.label) for c in table.ordered_columns]
    return [header, *([str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count))]


@pytest.fixture(scope="module")
def real_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real sweep of the relu circles MLP: lr 0.1 and 1e30 (which overflows) × batch 10 and full."""
    runs = tmp_path_factory.mktemp("tui") / "runs"
    plan = build_plan(
        "circles-mlp", grid=["optim.lr=0.1,1e30", "train.batch_size=10,0"], overrides=["train.epochs=2", "model.activation=relu"]
    )
    run_sweep(plan, runs / "sweep-20261127-120000-circles-mlp")
    return runs


async def test_sweep_screen_shows_grid_and_curves_of_a_real_sweep(real_sweep: Path) -> None:
    folder = real_sweep / "sweep-20261127-120000-circles-mlp"
    doc = read_sweep(folder)
    app = app_mod.create_app(AppOptions(runs_dir=real_sweep), engine=ScriptedEngine())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_sweeps(pilot, app)
        assert screen.sweep_dir == folder
        assert screen.query_one("#sweep-list", DataTable).get_row_at(0) == ["circles-mlp", "4/4", "completed", _pct_best(doc), folder.name]
        cells = heatmap(screen)
        assert cells[0] == ["lr ╲ batch_size", "10", "0"]
        by = {(p["labels"]["optim.lr"], p["labels"]["train.batch_size"]): p for p in doc["points"]}
        row_01 = [f"{100 * by[('0.1', b)]['final_test_acc']:.1f}" + (" chance" if by[("0.1", b)]["at_chance"] else "") for b in ("10", "0")]
        assert cells[1] == ["0.1", *row_01]
        assert cells[2] == ["1e+30", "diverged", "diverged"]  # both lr 1e30 points diverged for real
        chart = screen.query_one("#sweep-acc")
        assert set(chart.series) == {"lr=0.1 batch_size=10", "lr=0.1 batch_size=0", "lr=1e+30 batch_size=10", "lr=1e+30 batch_size=0"}
        for p in doc["points"]:
            summary = read_summary(folder / p["run_dir"])
            expected = [(row["epoch"], pytest.approx(100 * row["test_acc"])) for row in summary["epochs"]]
            assert chart.points(f"lr={p['labels']['optim.lr']} batch_size={p['labels']['train.batch_size']}") == expected
        # a diverged curve stops before the epoch that blew up
        assert len(chart.points("lr=1e+30 batch_size=10")) < len(chart.points("lr=0.1 batch_size=10")) == 3
        top = max(y for name in chart.series for _, y in chart.points(name))
        assert chart.ylim[0] == 0 and top + 5 <= chart.ylim[1] <= min(100, top + 15)  # zoomed on the curves
        assert "4/4 points finished" in str(screen.query_one("#sweep-legend").render())
        await pilot.press("o")  # the sweep's runs, one by one, in the runs screen
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen))
        assert app.screen.runs_dir == folder and len(app.screen.runs) == 4
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, SweepScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.main)


def _pct_best(doc: dict) -> str:
    return f"{100 * max(p['final_test_acc'] for p in doc['points'] if p['status'] == 'completed'):.2f}%"


def handmade_sweep(folder: Path, name: str, points: list[dict], labels: dict, seeds: int = 1, status: str = "completed") -> Path:
    """A sweep.json and the run folders it names, each with a two-epoch summary ending at the point's accuracy."""
    folder.mkdir(parents=True)
    rows = []
    for i, p in enumerate(points, start=1):
        run = f"run-{i}"
        (folder / run).mkdir()
        acc = p.get("final_test_acc")
        epochs = [{"epoch": 0, "test_acc": 0.1}] + (
            [{"epoch": 1, "test_acc": acc}] if acc is not None and p["status"] != "diverged" else []
        )
        (folder / run / "summary.json").write_text(json.dumps({"status": p["status"], "epochs": epochs, "config": {}}))
        rows.append({"index": i, "run_dir": run, "at_chance": False, "message": "", **p})
    write_sweep(folder, {"name": name, "labels": labels, "seeds": seeds, "status": status, "points": rows})
    return folder


async def test_one_axis_sweep_is_one_row_with_seeds_averaged_and_diverged_marked(tmp_path: Path) -> None:
    labels = {"optimiser": ["sgd lr=0.1", "adam lr=0.001", "rmsprop lr=0.1"]}
    points = [
        {"choice": [0], "seed": 0, "labels": {"optimiser": "sgd lr=0.1"}, "status": "completed", "final_test_acc": 0.6},
        {"choice": [0], "seed": 1, "labels": {"optimiser": "sgd lr=0.1"}, "status": "completed", "final_test_acc": 0.5},
        {"choice": [1], "seed": 0, "labels": {"optimiser": "adam lr=0.001"}, "status": "completed", "final_test_acc": 0.7},
        {"choice": [1], "seed": 1, "labels": {"optimiser": "adam lr=0.001"}, "status": "completed", "final_test_acc": 0.71},
        {"choice": [2], "seed": 0, "labels": {"optimiser": "rmsprop lr=0.1"}, "status": "diverged", "final_test_acc": 0.1},
        {"choice": [2], "seed": 1, "labels": {"optimiser": "rmsprop lr=0.1"}, "status": "diverged", "final_test_acc": 0.1},
    ]
    handmade_sweep(tmp_path / "runs" / "opt", "cifar10-optimisers", points, labels, seeds=2)
    app = SweepHost(tmp_path / "runs")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await hosted(pilot, app)
        assert heatmap(screen) == [
            ["optimiser", "sgd lr=0.1", "adam lr=0.001", "rmsprop lr=0.1"],
            ["final test %", "55.0", "70.5", "diverged"],
        ]
        assert screen.query_one("#sweep-body").has_class("-one-axis")
        table = screen.query_one("#sweep-heatmap", DataTable)
        assert table.get_row_at(0)[2].style == "bold green"  # the best cell
        chart = screen.query_one("#sweep-acc")
        assert set(chart.series) == {f"{label} seed={s}" for label in labels["optimiser"] for s in (0, 1)}
        assert chart.points("adam lr=0.001 seed=1") == [(0, 10.0), (1, 71.0)]
        assert chart.points("rmsprop lr=0.1 seed=0") == [(0, 10.0)]
        assert "mean of 2 seeds" in str(screen.query_one("#sweep-legend").render())


async def test_the_list_switches_sweeps_and_follows_a_running_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sweep_screen, "POLL_SECONDS", 0.05)
    labels = {"optim.lr": ["0.1", "1"], "train.batch_size": ["10", "0"]}
    done = [
        {"choice": [i, j], "seed": 0, "labels": {}, "status": "completed", "final_test_acc": 0.5 + 0.1 * i + 0.05 * j}
        for i in range(2)
        for j in range(2)
    ]
    handmade_sweep(tmp_path / "runs" / "old", "old-sweep", done, labels)
    running = handmade_sweep(
        tmp_path / "runs" / "new",
        "new-sweep",
        [
            {"choice": [0, 0], "seed": 0, "labels": {}, "status": "completed", "final_test_acc": 0.8},
            {"choice": [0, 1], "seed": 0, "labels": {}, "status": "running", "final_test_acc": None},
        ],
        {"optim.lr": ["0.1"], "train.batch_size": ["10", "0"]},
        status="running",
    )
    app = SweepHost(tmp_path / "runs")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await hosted(pilot, app)
        assert screen.sweep_dir == running  # newest first
        assert heatmap(screen)[1] == ["0.1", "80.0", "running"]
        doc = read_sweep(running)
        doc["points"][1].update(status="diverged", final_test_acc=0.1)
        write_sweep(running, {**doc, "status": "completed"})
        await wait_for(pilot, lambda: heatmap(screen)[1] == ["0.1", "80.0", "diverged"])
        screen.query_one("#sweep-list", DataTable).focus()
        await pilot.press("down")
        await wait_for(pilot, lambda: screen.sweep_dir == tmp_path / "runs" / "old")
        assert heatmap(screen)[1:] == [["0.1", "50.0", "55.0"], ["1", "60.0", "65.0"]]


async def test_no_sweeps_yet_says_how_to_make_one(tmp_path: Path) -> None:
    app = SweepHost(tmp_path / "runs")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, SweepScreen))
        await pilot.pause(0.05)
        assert app.screen.doc is None and app.screen.query_one("#sweep-heatmap", DataTable).row_count == 0
        assert app.screen.query_one("#sweep-list", DataTable).row_count == 0
        assert any("rdfia-tui sweep" in n.message for n in app._notifications)
        await pilot.press("w")  # w (or escape) goes back
        await wait_for(pilot, lambda: not isinstance(app.screen, SweepScreen))
