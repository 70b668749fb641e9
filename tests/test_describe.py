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
