"""Slow checks on the real datasets in $RDFIA_TUI_DATA (or the project machines' shared folder); skipped without them."""

from __future__ import annotations

import json

import pytest

from rdfia_tui.engine.config import apply_overrides
from rdfia_tui.engine.presets import load_preset
from rdfia_tui.engine.runs.record import read_metrics_csv
from rdfia_tui.engine.training import fit


@pytest.mark.slow
def test_cifar10_convnet_one_epoch_on_a_subset(shared_data, runs_dir) -> None:
    cfg = apply_overrides(load_preset("cifar10-convnet"), ["train.epochs=1", "data.limit_train=2000", "train.device=cpu"])
    result = fit(cfg, runs_dir=runs_dir, data_root=shared_data)
    assert result.status == "completed"
    summary = json.loads((result.run_dir / "summary.json").read_text())
    assert summary["params"] == 231_170
    assert summary["sizes"] == {"train": 1800, "val": 200, "test": 10_000}
    assert summary["class_names"][0] == "airplane" and len(summary["class_names"]) == 10
    rows = read_metrics_csv(result.run_dir / "metrics.csv")
    assert [r["epoch"] for r in rows] == [0, 1]
    # one epoch of SGD moves the loss; the untrained net sits near ln(10)
    assert abs(rows[0]["test_loss"] - 2.3026) < 0.1
    assert rows[1]["train_loss"] < rows[0]["train_loss"] + 0.05
    assert 0.0 < rows[1]["test_acc"] <= 1.0
