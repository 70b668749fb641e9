"""Hyper-parameter importance (engine.sweep.importance): the functional-ANOVA shares on synthetic grids, the cases
it cannot judge, how incomplete grids are counted, and where it is shown (`runs --runs-dir SWEEP`, the sweep screen)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import DataTable, Static
from tui_fakes import wait_for

from rdfia_tui.engine.sweep.importance import METHOD, METHOD_SHORT, importance
from rdfia_tui.engine.sweep.records import write_sweep
from rdfia_tui.tui.screens.sweep import SweepScreen


def grid_doc(levels: dict[str, Sequence[str]], accuracy: Callable[..., float], statuses: dict[tuple[int, ...], str] | None = None) -> dict:
    """A sweep.json over the full grid of ``levels``; ``accuracy(*level indices)`` is each point's final test accuracy."""
    axes = list(levels)
    points = []
    for i, choice in enumerate(itertools.product(*(range(len(v)) for v in levels.values())), start=1):
        status = (statuses or {}).get(choice, "completed")
        acc = accuracy(*choice) if status == "completed" else None
        labels = {a: levels[a][c] for a, c in zip(axes, choice, strict=True)}
        points.append({"index": i, "choice": list(choice), "labels": labels, "seed": 0, "status": status, "final_test_acc": acc,
                       "run_dir": f"run-{i}", "at_chance": False, "message": ""})  # fmt: skip
    return {"name": "synthetic", "labels": {a: list(v) for a, v in levels.items()}, "seeds": 1, "status": "completed", "points": points}


LR = ["0.001", "0.01", "0.1", "1"]
BATCH = ["32", "128", "512"]


def shares(doc: dict, chance: float | None = None) -> dict[str, float | None]:
    result = importance(doc, chance)
    assert result.verdict is None, result.verdict
    return {k.axis: k.share for k in result.keys}


def test_the_only_key_that_matters_gets_nearly_all_the_variance() -> None:
    doc = grid_doc({"optim.lr": LR, "train.batch_size": BATCH}, lambda lr, b: 0.2 + 0.2 * lr + 0.002 * ((lr + b) % 2))
    result = importance(doc)
    found = shares(doc)
    assert found["optim.lr"] > 0.95 and found["train.batch_size"] < 0.01
    assert [k.axis for k in result.keys] == ["optim.lr", "train.batch_size"]  # largest share first
    assert result.keys[0].best_label == "1" and result.method == METHOD and result.cells == (12, 12) and not result.notes


def test_two_additive_keys_get_their_analytic_shares() -> None:
    f, g = [0.0, 0.1, 0.3, 0.35], [0.0, 0.2, 0.05]

    def variance(values: list[float]) -> float:
        mean = sum(values) / len(values)
        return sum((v - mean) ** 2 for v in values) / len(values)

    doc = grid_doc({"optim.lr": LR, "train.batch_size": BATCH}, lambda lr, b: 0.3 + f[lr] + g[b])
    expected = variance(f) / (variance(f) + variance(g))
    found = shares(doc)
    assert found["optim.lr"] == pytest.approx(expected, abs=1e-9)
    assert found["train.batch_size"] == pytest.approx(1 - expected, abs=1e-9)
    assert importance(doc).interactions == pytest.approx(0, abs=1e-9)


def test_a_pure_interaction_is_left_to_the_interactions() -> None:
    doc = grid_doc({"a": ["x", "y"], "b": ["u", "v"]}, lambda a, b: 0.9 if a == b else 0.5)  # XOR: no main effect
    result = importance(doc)
    assert all(k.share == pytest.approx(0, abs=1e-9) for k in result.keys)
    assert result.interactions == pytest.approx(1)


@pytest.mark.parametrize(
    ("levels", "words"),
    [
        ({"optim.lr": LR}, "cannot tell: one key varies (optim.lr)"),
        ({"optim.lr": LR, "train.batch_size": ["10"]}, "cannot tell: one key varies (optim.lr)"),  # a one-value axis is fixed
        ({"optim.lr": ["0.1"], "train.batch_size": ["32"]}, "cannot tell: no key varies"),
    ],
)
def test_one_key_or_one_point_cannot_tell_in_one_line(levels: dict, words: str) -> None:
    result = importance(grid_doc(levels, lambda *c: 0.1 + 0.1 * sum(c)))
    assert result.verdict is not None and result.verdict.startswith(words) and "\n" not in result.verdict
    assert result.verdict.endswith("two or more varied keys") and result.keys == ()


def test_the_same_accuracy_everywhere_cannot_tell() -> None:
    result = importance(grid_doc({"a": ["x", "y"], "b": ["u", "v"]}, lambda a, b: 0.5))
    assert result.verdict == "cannot tell: every cell reached the same final test accuracy (50.00%)"


def test_diverged_points_count_at_chance_and_other_gaps_are_said() -> None:
    statuses = {(3, 0): "diverged", (3, 1): "diverged", (3, 2): "failed"}
    doc = grid_doc({"optim.lr": LR, "train.batch_size": BATCH}, lambda lr, b: 0.5 + 0.1 * lr, statuses)
    at_chance = importance(doc, chance=0.1)
    assert at_chance.notes[0] == "2 diverged points counted at chance (10.0%)"
    assert at_chance.notes[1] == "1 failed point left out (no final accuracy)"
    assert at_chance.notes[2].startswith("1 of 12 grid cells have no result") and "approximate" in at_chance.notes[2]
    assert {k.axis: k.best_label for k in at_chance.keys}["optim.lr"] == "0.1"  # lr 1 diverged: at chance, not best
    unknown = importance(doc, chance=None)
    assert unknown.notes[0] == "2 diverged points left out (the number of classes is unknown)"
    assert unknown.cells == (9, 12)


def sweep_folder(folder: Path, doc: dict, classes: int = 10) -> Path:
    folder.mkdir(parents=True)
    for p in doc["points"]:
        (folder / p["run_dir"]).mkdir()
        summary = {"status": p["status"], "epochs": [], "config": {}, "class_names": [str(i) for i in range(classes)]}
        (folder / p["run_dir"] / "summary.json").write_text(json.dumps(summary))
    write_sweep(folder, doc)
    return folder


def test_runs_on_a_sweep_folder_prints_its_importance(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from rdfia_tui.cli.main import main

    doc = grid_doc({"optim.lr": LR, "train.batch_size": BATCH}, lambda lr, b: 0.2 + 0.2 * lr, {(0, 0): "diverged"})
    folder = sweep_folder(tmp_path / "sweep-20261127-120000-synthetic", doc)
    assert main(["runs", "--runs-dir", str(folder)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    at = lines.index("hyper-parameter importance: each swept key's share of the variance of final test accuracy")
    assert lines[at + 1] == f"method: {METHOD}"
    assert lines[at + 2].split()[:3] == ["swept", "key", "share"]
    assert lines[at + 4].split()[0] == "optim.lr" and lines[at + 5].split()[0] == "train.batch_size"
    assert lines[at + 6].split()[0] == "interactions"
    assert "note: 1 diverged point counted at chance (10.0%)" in lines
    assert "final test accuracy (%): optim.lr down, train.batch_size across" in out  # the grid comes first


class SweepHost(App):
    def __init__(self, runs_dir: Path) -> None:
        super().__init__()
        self.runs_dir = runs_dir

    def on_mount(self) -> None:
        self.push_screen(SweepScreen(self.runs_dir))


async def test_the_sweep_screen_shows_the_importance_under_the_grid(tmp_path: Path) -> None:
    doc = grid_doc({"optim.lr": LR, "train.batch_size": BATCH}, lambda lr, b: 0.3 + 0.1 * b + 0.01 * lr)
    sweep_folder(tmp_path / "runs" / "two-keys", doc)
    one = grid_doc({"optim.lr": LR}, lambda lr: 0.3 + 0.1 * lr)
    one["name"] = "one-key"
    sweep_folder(tmp_path / "runs" / "one-key", one)
    app = SweepHost(tmp_path / "runs")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, SweepScreen) and app.screen.doc is not None)
        screen = app.screen
        if screen.doc["name"] != "synthetic":  # the list is newest first: show the two-key sweep
            await pilot.press("down")
            await wait_for(pilot, lambda: screen.doc["name"] == "synthetic")
        table = screen.query_one("#sweep-importance", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert [r[0] for r in rows] == ["train.batch_size", "optim.lr", "interactions"]
        assert float(rows[0][1].rstrip("%")) > 95 and rows[0][2] == "512 (51.5%)"  # 0.3 + 0.2 + the mean of 0.01 × lr level
        assert METHOD_SHORT in str(screen.query_one("#sweep-importance-title", Static).render())
        await pilot.press("up" if screen.sweeps[0][1]["name"] == "one-key" else "down")
        await wait_for(pilot, lambda: screen.doc["name"] == "one-key")
        assert not table.display
        assert "cannot tell: one key varies (optim.lr)" in str(screen.query_one("#sweep-importance-notes", Static).render())


def test_an_early_stopped_point_counts_with_its_final_accuracy_as_in_the_grid() -> None:
    doc = grid_doc({"a": ["x", "y"], "b": ["u", "v"]}, lambda a, b: 0.5 + 0.3 * a)
    doc["points"][3]["status"] = "early-stopped"
    result = importance(doc)
    assert result.cells == (4, 4) and not result.notes and result.keys[0].axis == "a"
