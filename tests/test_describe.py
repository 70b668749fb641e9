"""A run's curves in words: the findings on synthetic curves with known epochs, the command on a real tiny run, the
refusals, and the console's dialog."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tui_fakes import make_app, ready, wait_for

from rdfia_tui.cli.main import main
from rdfia_tui.engine import config as config_mod
from rdfia_tui.engine.events import EpochMetrics
from rdfia_tui.engine.presets import load_preset
from rdfia_tui.engine.runs.describe import describe, find
from rdfia_tui.engine.runs.record import metrics_csv

EPOCHS = 20


def synthetic_rows() -> list[dict[str, float]]:
    """Train loss falls all along but jumps at epoch 5; val loss is lowest at epoch 10 and rises after; val accuracy
    climbs to epoch 12 and then stays within 0.3 points."""
    rows = []
    for e in range(EPOCHS + 1):
        train_loss = 2.0 / (1 + e) + (1.5 if e == 5 else 0.0)
        val_loss = 1.0 + 0.02 * (e - 10) ** 2 if e <= 10 else 1.0 + 0.05 * (e - 10)
        val_acc = 0.3 + 0.03 * min(e, 12) + (0.002 if e > 12 and e % 2 else 0.0)
        rows.append({"epoch": e, "train_loss": train_loss, "train_acc": min(0.99, 0.3 + 0.04 * e), "val_loss": val_loss,
                     "val_acc": val_acc, "test_loss": val_loss, "test_acc": val_acc - 0.01, "lr": 0.1})  # fmt: skip
    return rows


def test_synthetic_curves_name_the_overfit_start_the_plateau_and_the_spike() -> None:
    rows = synthetic_rows()
    found = find(rows)
    assert found.split == "val" and found.epochs == EPOCHS
    assert found.overfit_from == 10
    assert found.plateau_since == 12
    assert [(s.curve, s.epoch) for s in found.spikes] == [("training", 5)]
    assert found.best_epoch == 13 and found.trend == "flat"
    assert found.gap is not None and found.gap > 0.05
    text = describe({"status": "completed", "preset": "p", "run_dir": "/r/x", "config": {"train": {"epochs": 20}},
                     "epochs_completed": 20, "duration_s": 3.0}, rows).text  # fmt: skip
    assert "Over-fitting began after epoch 10" in text and "plateau since epoch 12" in text
    assert "The training loss jumped at epoch 5" in text and "best validation accuracy, 66.2%, came at epoch 13" in text
    assert not set(text) & set("▁▂▃▄▅▆▇█─│┼⠁⣿")  # words only: nothing a screen reader spells out as symbols


def test_a_run_still_improving_has_no_plateau_nor_overfitting() -> None:
    rows = [{"epoch": e, "train_loss": 1 / (e + 1), "train_acc": 0.5 + 0.02 * e, "val_loss": 1.1 / (e + 1),
             "val_acc": 0.5 + 0.02 * e, "test_loss": 1.0, "test_acc": 0.5} for e in range(8)]  # fmt: skip
    found = find(rows)
    assert found.overfit_from is None and found.plateau_since is None and found.spikes == () and found.trend == "rising"


def test_summary_of_a_real_tiny_run(tmp_path: Path, capsys) -> None:
    assert main(["run", "circles-mlp", "--set", "train.epochs=4", "--runs-dir", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["summary", "latest", "--runs-dir", str(tmp_path)]) == 0
    out = " ".join(capsys.readouterr().out.split())  # the sentences are wrapped to the terminal
    assert "is completed after 4 of 4 epochs" in out and "The best validation accuracy" in out and "epoch" in out


def test_a_folder_that_is_not_a_run_is_one_line_and_exit_2(tmp_path: Path, capsys) -> None:
    assert main(["summary", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not a run folder" in err


def write_synthetic_run(runs: Path) -> Path:
    cfg = load_preset("circles-mlp")
    run = runs / "20260101-000000-circles-mlp"
    run.mkdir(parents=True)
    (run / "config.toml").write_text(config_mod.dumps(cfg))
    metrics = [EpochMetrics(**{k: float(v) if k != "epoch" else v for k, v in r.items()}, seconds=0.1, images_per_s=1.0)
               for r in synthetic_rows()]  # fmt: skip
    (run / "metrics.csv").write_text(metrics_csv(metrics))
    summary = {"status": "completed", "preset": cfg.name, "run_dir": str(run), "config": cfg.to_dict(), "epochs": [],
               "epochs_completed": EPOCHS, "started_at": "2026-01-01T00:00:00+0000"}  # fmt: skip
    (run / "summary.json").write_text(json.dumps(summary))
    return run


def test_summary_does_not_import_torch(tmp_path: Path) -> None:
    run = write_synthetic_run(tmp_path)
    code = f"import sys\nfrom rdfia_tui.cli.main import main\nassert main(['summary', {str(run)!r}]) == 0\nprint('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.strip().endswith("False") and "Over-fitting began after epoch 10" in out


async def test_i_shows_the_newest_run_in_words(tmp_path: Path) -> None:
    from rdfia_tui.tui.screens.described import DescribedRun

    write_synthetic_run(tmp_path / "runs")
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, DescribedRun))
        assert any("Over-fitting began after epoch 10" in s for s in app.screen.sentences)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.main)


def rows_of(val_acc: list[float], val_loss: list[float] | None = None, train_loss: list[float] | None = None) -> list[dict[str, float]]:
    """Metrics rows for epochs 1..n (epoch 0 first, untrained) from per-epoch curves."""
    n = len(val_acc)
    val_loss = val_loss or [1.0 / (e + 1) for e in range(1, n + 1)]
    train_loss = train_loss or [1.0 / (e + 1) for e in range(1, n + 1)]
    rows = [{"epoch": 0, "train_loss": 2.3, "train_acc": 0.1, "val_loss": 2.3, "val_acc": 0.1, "test_loss": 2.3, "test_acc": 0.1}]
    for e in range(1, n + 1):
        rows.append({"epoch": e, "train_loss": train_loss[e - 1], "train_acc": val_acc[e - 1], "val_loss": val_loss[e - 1],
                     "val_acc": val_acc[e - 1], "test_loss": val_loss[e - 1], "test_acc": val_acc[e - 1]})  # fmt: skip
    return rows


def test_a_slow_climb_of_small_steps_is_no_plateau() -> None:
    # mnist-mlp as a user saw it: 96.42% at epoch 5, then 0.1-point steps up to 97.60% at epoch 19, then flat to 40;
    # each step beats the best before it by less than half a point, but epoch 19 beats epoch 5 by 1.18 points
    acc = [0.90, 0.93, 0.95, 0.96, 0.9642]
    acc += [0.9642 + (0.9760 - 0.9642) * (e - 5) / 14 for e in range(6, 20)]
    acc += [0.9760 - (0.001 if e % 2 else 0.0) for e in range(20, 41)]
    found = find(rows_of(acc))
    k = found.plateau_since
    assert k is not None and k > 5
    assert max(acc[k:]) - acc[k - 1] <= 0.005 and max(acc[k - 1 :]) - acc[k - 2] > 0.005  # the earliest such epoch
    text = describe({"status": "completed", "preset": "mnist-mlp", "config": {"train": {"epochs": 40}}}, rows_of(acc)).text
    assert "plateau since epoch 5" not in text and f"plateau since epoch {k}" in text


def test_a_plateau_reached_inside_the_trend_window_is_not_also_still_rising() -> None:
    # moons as a user saw it: a steep climb to epoch 7, then flat: the last five epochs rise 2 points overall
    acc = [0.70, 0.74, 0.78, 0.82, 0.86, 0.88, 0.90, 0.901, 0.899, 0.90]
    found = find(rows_of(acc))
    assert found.plateau_since == 7 and found.trend == "flat" and found.trend_from == 7
    text = describe({"status": "completed", "preset": "moons-mlp"}, rows_of(acc)).text
    assert "plateau since epoch 7" in text and "still rising" not in text
    rising = find(rows_of([0.70, 0.74, 0.78, 0.82, 0.86, 0.88, 0.90, 0.92, 0.93, 0.94]))
    assert rising.trend == "rising" and rising.plateau_since is None


def early_stopped_rows(train_falls: bool = True) -> list[dict[str, float]]:
    """cifar10 early-stopped on val_loss: lowest 1.350 at epoch 56, 1.4035 at epoch 66 (4% higher)."""
    val_loss = [2.0 - 0.65 * e / 56 for e in range(1, 57)] + [1.350 + 0.0535 * e / 10 for e in range(1, 11)]
    train_loss = [2.0 - 0.015 * e if train_falls else max(1.2, 2.0 - 0.015 * e) for e in range(1, 67)]
    return rows_of([0.3 + 0.005 * min(e, 56) for e in range(1, 67)], val_loss, train_loss)


def test_an_early_stop_on_val_loss_names_the_over_fitting_it_caught_and_its_size() -> None:
    stop = {"metric": "val_loss", "patience": 10, "best_epoch": 56, "best_value": 1.35, "stopped_after": 66,
            "reason": "val_loss did not improve for 10 epochs"}  # fmt: skip
    summary = {"status": "early-stopped", "preset": "cifar10-convnet", "early_stop": stop, "message": stop["reason"]}
    text = describe(summary, early_stopped_rows()).text
    assert "Over-fitting began after epoch 56" in text and "4.0% higher, a slight rise" in text
    assert "no sustained over-fitting" not in text
    assert find(early_stopped_rows()).overfit_from is None  # without the early stop, a 4% rise is within the noise rule
    stalled = describe(summary, early_stopped_rows(train_falls=False)).text
    assert "stalled rather than over-fitted" in stalled and "no sustained over-fitting" not in stalled


def write_lr_find_run(runs: Path, stamp: str, running: bool) -> Path:
    """An lr range test's folder: running (this process's live.json at step 40 of 200) or completed."""
    import os
    import socket
    from dataclasses import replace

    from rdfia_tui.engine.runs.liveness import LiveState

    cfg = load_preset("circles-mlp")
    run = runs / f"{stamp}-circles-mlp-lr-find"
    run.mkdir(parents=True)
    (run / "config.toml").write_text(config_mod.dumps(cfg))
    found = {"start_lr": 1e-5, "end_lr": 10.0, "steps": 200, "steps_done": 0 if running else 200, "config_lr": 0.3}
    summary = {"status": "running" if running else "completed", "preset": cfg.name, "run_dir": str(run), "config": cfg.to_dict(),
               "epochs": [], "epochs_completed": 0, "started_at": f"{stamp[:4]}-01-01T00:00:00+0000", "pid": os.getpid(),
               "host": socket.gethostname(), "lr_find": found}  # fmt: skip
    (run / "summary.json").write_text(json.dumps(summary))
    if running:
        replace(LiveState.now(), step=40, steps=200).write(run)
    return run


def test_summary_latest_skips_an_lr_find_in_progress_which_is_described_as_one(tmp_path: Path, capsys) -> None:
    from rdfia_tui.cli.commands import run_rows
    from rdfia_tui.engine.runs.listing import list_runs

    trained = write_synthetic_run(tmp_path)
    sweeping = write_lr_find_run(tmp_path, "20270101-000000", running=True)
    assert main(["summary", "latest", "--runs-dir", str(tmp_path)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert trained.name in out and "Over-fitting began after epoch 10" in out and "lr-find" not in out
    assert main(["summary", sweeping.name, "--runs-dir", str(tmp_path)]) == 0  # a name as 'rdfia-tui runs' lists it
    out = " ".join(capsys.readouterr().out.split())
    assert "is a learning-rate range test of preset circles-mlp, still running" in out and "40 of 200 steps" in out
    assert "epochs" not in out
    rows = {r[0]: r[3] for r in run_rows(list_runs(tmp_path))}
    assert rows[sweeping.name] == "lr-find 40/200" and rows[trained.name].startswith("20/")


async def test_the_runs_screen_shows_lr_find_runs_as_lr_find(tmp_path: Path) -> None:
    from textual.app import App
    from textual.widgets import DataTable

    from rdfia_tui.tui.screens.runs import RunsScreen

    done = write_lr_find_run(tmp_path, "20260101-000000", running=False)
    live = write_lr_find_run(tmp_path, "20270101-000000", running=True)

    class Host(App):
        def on_mount(self) -> None:
            self.push_screen(RunsScreen(tmp_path))

    app = Host()
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen) and app.screen.query_one(DataTable).row_count == 2)
        table = app.screen.query_one(DataTable)
        cells = {str(table.get_row_at(i)[1]): str(table.get_row_at(i)[5]) for i in range(2)}
        assert cells == {done.name: "lr-find", live.name: "lr-find 40/200"}


def test_summary_takes_a_sweep_point_by_its_name(tmp_path: Path, capsys) -> None:
    """'rdfia-tui runs' lists a sweep's points by name: summary finds one inside its sweep folder."""
    point = write_synthetic_run(tmp_path / "sweep-20260101-000000-circles-mlp")
    assert main(["summary", point.name, "--runs-dir", str(tmp_path)]) == 0
    assert point.name in " ".join(capsys.readouterr().out.split())
    assert main(["summary", "20990101-000000-nothing", "--runs-dir", str(tmp_path)]) == 2
    assert capsys.readouterr().err.count("\n") == 1
