"""Every way a run's numbers stop being finite ends it as ``diverged`` (exit 3) at the step where it happened."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from rdfia_tui.cli.main import main
from rdfia_tui.engine import setup as engine_setup
from rdfia_tui.engine import stop_rules
from rdfia_tui.engine.config import apply_overrides
from rdfia_tui.engine.presets import load_preset
from rdfia_tui.engine.training import fit


def recorded_epochs(run_dir: Path) -> list[int]:
    with open(run_dir / "metrics.csv", newline="") as fh:
        return [int(row["epoch"]) for row in csv.DictReader(fh)]


def only_run(runs_dir: Path) -> Path:
    (run_dir,) = runs_dir.iterdir()
    return run_dir


def test_full_batch_adam_at_lr_1e20_diverges_with_exit_3(runs_dir: Path, capsys: pytest.CaptureFixture) -> None:
    """The reported case: one full-batch step from finite weights; the damage only shows after the step."""
    argv = ["run", "digits-mlp", "--set", "optim.name=adam", "--set", "optim.lr=1e20", "--set", "model.activation=relu"]
    code = main([*argv, "--set", "train.batch_size=0", "--set", "train.epochs=3", "--runs-dir", str(runs_dir)])
    assert code == 3
    err = capsys.readouterr().err
    assert "run diverged" in err and "after epoch 1 (last step 1)" in err and "Traceback" not in err
    run_dir = only_run(runs_dir)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "diverged"
    assert summary["diverged_at"]["epoch"] == 1 and summary["diverged_at"]["step"] == 1
    assert recorded_epochs(run_dir) == [0]  # the non-finite epoch is not recorded as a result


def test_one_epoch_of_it_is_not_completed(runs_dir: Path) -> None:
    argv = ["run", "digits-mlp", "--set", "optim.name=adam", "--set", "optim.lr=1e20", "--set", "model.activation=relu"]
    assert main([*argv, "--set", "train.batch_size=0", "--set", "train.epochs=1", "--runs-dir", str(runs_dir)]) == 3


def poison_step(monkeypatch: pytest.MonkeyPatch, at_call: int) -> None:
    """Make the ``at_call``-th training step leave NaN weights behind while returning a finite loss."""
    real = engine_setup.build_step
    calls = {"n": 0}

    def build(impl, model, *args):
        step, optimiser = real(impl, model, *args)

        def poisoned(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            loss, logits = step(x, y)
            calls["n"] += 1
            if calls["n"] == at_call:
                with torch.no_grad():
                    next(model.parameters()).fill_(float("nan"))
            return loss, logits

        return poisoned, optimiser

    monkeypatch.setattr(engine_setup, "build_step", build)


def steps_of(cfg) -> int:
    from rdfia_tui.engine.data.root import resolve_data_root
    from rdfia_tui.engine.data.splits import load_raw, make_splits, steps_per_epoch

    splits = make_splits(load_raw(cfg.data, resolve_data_root()), cfg.data, cfg.train.seed, torch.device("cpu"))
    return steps_per_epoch(len(splits.train), cfg.train.batch_size)


@pytest.mark.parametrize("impl", ["module", "manual"])
def test_nan_weights_from_an_epochs_last_step_end_the_run_at_that_step(runs_dir: Path, monkeypatch: pytest.MonkeyPatch, impl: str) -> None:
    cfg = apply_overrides(load_preset("circles-mlp"), [f"model.impl={impl}", "train.epochs=4", "train.batch_size=300", "train.device=cpu"])
    steps = steps_of(cfg)
    assert steps > 1
    poison_step(monkeypatch, at_call=2 * steps)  # the last step of epoch 2
    result = fit(cfg, runs_dir=runs_dir)
    assert result.status == "diverged"
    assert result.summary["diverged_at"] == {"epoch": 2, "step": steps, "found_in": "weights"}
    assert f"epoch 2, step {steps} (the epoch's last step)" in result.message
    assert recorded_epochs(result.run_dir) == [0, 1]


def test_nan_weights_mid_epoch_are_caught_by_the_next_loss(runs_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = apply_overrides(load_preset("circles-mlp"), ["train.epochs=3", "train.batch_size=100", "train.device=cpu"])
    poison_step(monkeypatch, at_call=steps_of(cfg) + 4)  # epoch 2, step 4 leaves NaN weights: step 5's loss shows it
    result = fit(cfg, runs_dir=runs_dir)
    assert result.status == "diverged"
    assert result.summary["diverged_at"] == {"epoch": 2, "step": 5, "found_in": "training loss"}
    assert recorded_epochs(result.run_dir) == [0, 1]


def huge_points(tmp_path: Path, *overrides: str):
    x = np.full((40, 2), 3e38, dtype=np.float32)
    x[::2] *= -1
    np.savez(tmp_path / "huge.npz", x_train=x, y_train=np.arange(40) % 2, x_test=x[:10], y_test=np.arange(10) % 2)
    return apply_overrides(
        load_preset("circles-mlp"), ["data.dataset=npz", f"data.path={tmp_path / 'huge.npz'}", "train.device=cpu", *overrides]
    )


def test_inputs_too_large_for_float32_diverge_before_training(tmp_path: Path, runs_dir: Path) -> None:
    result = fit(huge_points(tmp_path, "model.activation=relu"), runs_dir=runs_dir)
    assert result.status == "diverged"
    assert result.summary["diverged_at"]["epoch"] == 0 and "before any step" in result.message
    assert "data.normalize=standard" in result.message


def test_a_saturating_net_on_huge_points_trains_and_draws_its_boundary(tmp_path: Path, runs_dir: Path) -> None:
    """tanh saturates, so the losses stay finite; the boundary grid must not overflow at the plane's edge."""
    events: list = []
    result = fit(huge_points(tmp_path, "train.epochs=2"), events.append, runs_dir=runs_dir)
    assert result.status == "completed", result.message
    grids = [e for e in events if type(e).__name__ == "BoundaryUpdated"]
    assert len(grids) == 3 and len(grids[-1].classes) == 32


def test_the_check_adds_no_host_sync_per_step(runs_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The weights are checked once per epoch, not once per step."""
    calls = []
    real = stop_rules.weights_finite
    monkeypatch.setattr(stop_rules, "weights_finite", lambda model: calls.append(1) or real(model))
    cfg = apply_overrides(load_preset("circles-mlp"), ["train.epochs=3", "train.batch_size=10", "train.device=cpu"])
    assert fit(cfg, runs_dir=runs_dir).status == "completed"
    assert len(calls) == 3
