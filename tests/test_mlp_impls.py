"""The labs 4-5 MLP three ways (module, autograd, manual): gradients, updates, training and presets."""

from __future__ import annotations

import dataclasses
import math
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rdfia_tui.engine.config import ModelConfig, OptimConfig, RunConfig, apply_overrides
from rdfia_tui.engine.data.root import resolve_data_root
from rdfia_tui.engine.data.splits import load_raw, make_splits
from rdfia_tui.engine.errors import ConfigError
from rdfia_tui.engine.events import BatchProgress, EpochEnded, EpochMetrics, RunFinished, RunStarted
from rdfia_tui.engine.losses import cross_entropy, mse
from rdfia_tui.engine.model_checks import GRADCHECK_TOLERANCE, gradient_check
from rdfia_tui.engine.models import build_model
from rdfia_tui.engine.models import manual as manual_mod
from rdfia_tui.engine.models.manual import (
    LOSS_GRADS,
    Activation,
    HandSGD,
    cross_entropy_with_grad,
    manual_backward,
    manual_forward,
    mse_with_grad,
)
from rdfia_tui.engine.presets import load_preset, preset_names
from rdfia_tui.engine.steps import ManualStep, build_step
from rdfia_tui.engine.training import fit

REPO = Path(__file__).resolve().parents[1]
TORCH_LOSSES = {"cross_entropy": cross_entropy, "mse": mse}
METRICS = ("train_loss", "train_acc", "val_loss", "val_acc", "test_loss", "test_acc", "lr")


def _params(model: torch.nn.Module) -> list[torch.Tensor]:
    """weight, bias of every Linear layer, in order (what manual_backward returns, flattened)."""
    return [t for m in model.modules() if isinstance(m, torch.nn.Linear) for t in (m.weight, m.bias)]


def _random_mlp(seed: int, in_dim: int, hidden: tuple[int, ...], activation: str, n_classes: int) -> torch.nn.Sequential:
    torch.manual_seed(seed)
    return build_model(ModelConfig(hidden=hidden, activation=activation), (in_dim,), n_classes).double()


def _batch(seed: int, batch: int, in_dim: int, n_classes: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed + 1)
    x = torch.randn(batch, in_dim, generator=g, dtype=torch.float64) * 2
    y = torch.randint(0, n_classes, (batch,), generator=g)
    return x, y


# --- hand-written forward and backward against autograd ----------------------------------------

mlp_shapes = st.fixed_dictionaries(
    {
        "seed": st.integers(0, 10_000),
        "in_dim": st.integers(1, 6),
        "hidden": st.lists(st.integers(1, 8), min_size=0, max_size=3).map(tuple),
        "activation": st.sampled_from(["tanh", "relu", "sigmoid"]),
        "loss": st.sampled_from(["cross_entropy", "mse"]),
        "batch": st.integers(1, 16),
        "n_classes": st.integers(2, 5),
    }
)


@settings(deadline=None, max_examples=40)
@given(mlp_shapes)
def test_manual_gradients_match_autograd(case: dict) -> None:
    model = _random_mlp(case["seed"], case["in_dim"], case["hidden"], case["activation"], case["n_classes"])
    x, y = _batch(case["seed"], case["batch"], case["in_dim"], case["n_classes"])

    # autograd of the engine's own loss on the nn.Sequential
    model.zero_grad(set_to_none=True)
    reference_logits = model(x)
    reference_loss = TORCH_LOSSES[case["loss"]](reference_logits, y)
    reference_loss.backward()
    expected = [p.grad.clone() for p in _params(model)]

    with torch.no_grad():
        logits, cache = manual_forward(model, x)
        loss, grad_logits = LOSS_GRADS[case["loss"]](logits, y)
        grads = [g for pair in manual_backward(model, cache, grad_logits) for g in pair]

    torch.testing.assert_close(logits, reference_logits.detach(), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(loss, reference_loss.detach(), rtol=1e-12, atol=1e-12)
    assert len(grads) == len(expected) == 2 * (len(case["hidden"]) + 1)
    for got, want in zip(grads, expected, strict=True):
        assert got.shape == want.shape
        torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-12)


@settings(deadline=None, max_examples=40)
@given(
    seed=st.integers(0, 10_000),
    batch=st.integers(1, 16),
    n_classes=st.integers(2, 5),
    loss=st.sampled_from(["cross_entropy", "mse"]),
)
def test_loss_gradients_match_autograd_on_logits(seed: int, batch: int, n_classes: int, loss: str) -> None:
    g = torch.Generator().manual_seed(seed)
    logits = (torch.randn(batch, n_classes, generator=g, dtype=torch.float64) * 3).requires_grad_()
    y = torch.randint(0, n_classes, (batch,), generator=g)
    reference = TORCH_LOSSES[loss](logits, y)
    (expected,) = torch.autograd.grad(reference, logits)
    value, grad = {"cross_entropy": cross_entropy_with_grad, "mse": mse_with_grad}[loss](logits.detach(), y)
    torch.testing.assert_close(value, reference.detach(), rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(grad, expected, rtol=1e-9, atol=1e-14)


def test_loss_values_follow_their_formulas() -> None:
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0]], dtype=torch.float64)
    y = torch.tensor([0, 1])
    probs = [[math.exp(v) / sum(math.exp(u) for u in row) for v in row] for row in logits.tolist()]
    ce = -(math.log(probs[0][0]) + math.log(probs[1][1])) / 2
    sq = sum((p - (1.0 if j == t else 0.0)) ** 2 for row, t in zip(probs, [0, 1], strict=True) for j, p in enumerate(row)) / 2
    assert cross_entropy_with_grad(logits, y)[0].item() == pytest.approx(ce, rel=1e-12)
    assert mse_with_grad(logits, y)[0].item() == pytest.approx(sq, rel=1e-12)
    # ∂L/∂ỹ of the cross-entropy is (softmax − onehot)/B
    expected = torch.tensor(probs, dtype=torch.float64) - torch.tensor([[1.0, 0, 0], [0, 1.0, 0]], dtype=torch.float64)
    torch.testing.assert_close(cross_entropy_with_grad(logits, y)[1], expected / 2, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_manual_step_builds_no_graph_and_takes_the_sgd_step(loss: str) -> None:
    model = _random_mlp(3, 4, (5, 3), "tanh", 3)
    x, y = _batch(3, 8, 4, 3)
    params = _params(model)
    assert all(p.requires_grad for p in params)
    before = [p.detach().clone() for p in params]

    # the expected step, from autograd on a copy
    copy = _random_mlp(3, 4, (5, 3), "tanh", 3)
    TORCH_LOSSES[loss](copy(x), y).backward()
    lr = 0.25
    expected = [b - lr * p.grad for b, p in zip(before, _params(copy), strict=True)]

    step = ManualStep(model, HandSGD(params, OptimConfig(lr=lr)), loss)
    assert torch.is_grad_enabled()
    out_loss, logits = step(x, y)
    assert torch.is_grad_enabled()  # the step's no_grad does not leak
    assert not out_loss.requires_grad and out_loss.grad_fn is None
    assert not logits.requires_grad and logits.grad_fn is None
    assert all(p.grad is None for p in params)  # nothing ran backward
    for p, want in zip(params, expected, strict=True):
        torch.testing.assert_close(p.detach(), want, rtol=1e-10, atol=1e-13)
    torch.testing.assert_close(out_loss, TORCH_LOSSES[loss](copy(x), y).detach(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("impl", ["module", "autograd", "manual"])
def test_each_step_updates_the_parameters_like_torch_sgd(impl: str) -> None:
    cfg = OptimConfig(lr=0.1, momentum=0.9, weight_decay=1e-3)
    model = _random_mlp(11, 3, (6,), "sigmoid", 4)
    reference = _random_mlp(11, 3, (6,), "sigmoid", 4)
    step, optimiser = build_step(impl, model, cfg, "cross_entropy", cross_entropy)
    torch_sgd = torch.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    for i in range(4):
        x, y = _batch(100 + i, 10, 3, 4)
        loss, _ = step(x, y)
        torch_sgd.zero_grad()
        expected_loss = cross_entropy(reference(x), y)
        expected_loss.backward()
        torch_sgd.step()
        assert loss.item() == pytest.approx(expected_loss.item(), rel=1e-10)
    assert optimiser.param_groups[0]["lr"] == 0.1
    for got, want in zip(_params(model), _params(reference), strict=True):
        torch.testing.assert_close(got.detach(), want.detach(), rtol=1e-10, atol=1e-13)


# --- HandSGD against torch.optim.SGD ------------------------------------------------------------


@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("weight_decay", [0.0, 1e-3])
def test_hand_sgd_matches_torch_sgd(momentum: float, weight_decay: float) -> None:
    g = torch.Generator().manual_seed(7)
    shapes = [(4, 3), (4,), (2, 4), (2,)]
    start = [torch.randn(s, generator=g, dtype=torch.float64) for s in shapes]
    hand_params = [t.clone() for t in start]
    torch_params = [t.clone().requires_grad_() for t in start]
    hand = HandSGD(hand_params, OptimConfig(lr=0.05, momentum=momentum, weight_decay=weight_decay))
    reference = torch.optim.SGD(torch_params, lr=0.05, momentum=momentum, weight_decay=weight_decay)
    for i in range(6):
        if i == 3:  # a learning-rate change through param_groups, as the schedule does it
            hand.param_groups[0]["lr"] = 0.02
            reference.param_groups[0]["lr"] = 0.02
        grads = [torch.randn(s, generator=g, dtype=torch.float64) for s in shapes]
        hand.apply([gr.clone() for gr in grads])
        for p, gr in zip(torch_params, grads, strict=True):
            p.grad = gr.clone()
        reference.step()
        for got, want in zip(hand_params, torch_params, strict=True):
            torch.testing.assert_close(got, want.detach(), rtol=1e-12, atol=1e-14)
    # the parameters moved: the comparison is not between two untouched copies
    assert all(not torch.allclose(p, s) for p, s in zip(hand_params, start, strict=True))


def test_hand_sgd_formula_by_hand() -> None:
    """p ← p − lr·v, v ← m·v + (g + wd·p), written out for a scalar."""
    p = torch.tensor([1.0], dtype=torch.float64)
    hand = HandSGD([p], OptimConfig(lr=0.1, momentum=0.5, weight_decay=0.1))
    expected_p, v = 1.0, 0.0
    for g in (2.0, -1.0, 0.5):
        hand.apply([torch.tensor([g], dtype=torch.float64)])
        v = 0.5 * v + (g + 0.1 * expected_p)
        expected_p -= 0.1 * v
        assert p.item() == pytest.approx(expected_p, rel=1e-12)


# --- the three implementations through fit ------------------------------------------------------


def _epochs(runs_dir: Path, *overrides: str, preset: str = "circles-mlp") -> list[EpochMetrics]:
    events: list = []
    cfg = apply_overrides(load_preset(preset), ["train.device=cpu", *overrides])
    result = fit(cfg, events.append, runs_dir=runs_dir)
    assert result.status == "completed", result.message
    return [e.metrics for e in events if isinstance(e, EpochEnded)]


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(a), abs(b), 1e-12)


@pytest.mark.parametrize(
    ("dtype", "extra", "tolerance"),
    [
        ("float32", (), 1e-4),
        ("float64", (), 1e-10),
        ("float32", ("train.loss=mse", "optim.lr=1.0"), 1e-4),
        ("float64", ("train.loss=mse", "optim.lr=1.0"), 1e-10),
        ("float32", ("optim.momentum=0.9", "optim.lr=0.05"), 1e-4),
        ("float64", ("optim.momentum=0.9", "optim.lr=0.05", "optim.weight_decay=0.001"), 1e-10),
    ],
    ids=["f32", "f64", "f32-mse", "f64-mse", "f32-momentum", "f64-momentum-wd"],
)
def test_three_impls_follow_the_same_trajectory(runs_dir: Path, dtype: str, extra: tuple[str, ...], tolerance: float) -> None:
    runs = {
        impl: _epochs(runs_dir, "train.epochs=5", f"train.dtype={dtype}", f"model.impl={impl}", *extra)
        for impl in ("module", "autograd", "manual")
    }
    module = runs["module"]
    assert [m.epoch for m in module] == [0, 1, 2, 3, 4, 5]
    # training did something, so agreement is not agreement of untouched weights
    assert module[-1].train_loss < module[0].train_loss
    for impl in ("autograd", "manual"):
        other = runs[impl]
        assert [m.epoch for m in other] == [0, 1, 2, 3, 4, 5]
        # epoch 0 is the same evaluation code on the same initial weights
        assert [getattr(other[0], k) for k in METRICS] == [getattr(module[0], k) for k in METRICS]
        for a, b in zip(module, other, strict=True):
            for key in METRICS:
                assert _rel(getattr(a, key), getattr(b, key)) <= tolerance, (impl, a.epoch, key, getattr(a, key), getattr(b, key))


def test_float64_metrics_keep_float64_precision(runs_dir: Path, data_root: Path) -> None:
    """train.dtype=float64 is there "to compare implementations exactly": the recorded losses must be float64 too."""
    cfg = apply_overrides(load_preset("circles-mlp"), ["train.device=cpu", "train.epochs=0", "train.dtype=float64"])
    (metrics,) = _epochs(runs_dir, "train.epochs=0", "train.dtype=float64")
    splits = make_splits(load_raw(cfg.data, resolve_data_root(data_root)), cfg.data, cfg.train.seed, torch.device("cpu"))
    torch.manual_seed(cfg.train.seed)
    model = build_model(cfg.model, splits.input_shape, splits.n_classes).double()
    with torch.no_grad():
        for name, split in (("train", splits.train), ("val", splits.val), ("test", splits.test)):
            expected = cross_entropy(model(split.x.double()), split.y).item()
            recorded = getattr(metrics, f"{name}_loss")
            assert recorded == pytest.approx(expected, rel=1e-12), (name, recorded, expected)


# --- impl cross-checks in the config -------------------------------------------------------------


@pytest.mark.parametrize("impl", ["manual", "autograd"])
def test_hand_written_impls_refuse_adam(impl: str) -> None:
    with pytest.raises(ConfigError) as info:
        apply_overrides(load_preset("circles-mlp"), [f"model.impl={impl}", "optim.name=adam"])
    assert info.value.key == "model.impl"
    assert "model.impl" in str(info.value)


def test_hand_written_impls_refuse_nesterov() -> None:
    with pytest.raises(ConfigError) as info:
        apply_overrides(load_preset("circles-mlp"), ["model.impl=manual", "optim.momentum=0.9", "optim.nesterov=true"])
    assert info.value.key in ("model.impl", "optim.nesterov")


def test_hand_written_impls_accept_plain_sgd_with_momentum() -> None:
    cfg = apply_overrides(load_preset("circles-mlp"), ["model.impl=manual", "optim.momentum=0.9", "optim.weight_decay=0.001"])
    assert cfg.model.impl == "manual"


@pytest.mark.parametrize("impl", ["manual", "autograd"])
def test_hand_written_impls_refuse_the_convnet(impl: str) -> None:
    with pytest.raises(ConfigError) as info:
        apply_overrides(load_preset("cifar10-convnet"), [f"model.impl={impl}"])
    assert info.value.key == "model.impl"
    assert "model.impl" in str(info.value)
    with pytest.raises(ConfigError) as info:
        apply_overrides(load_preset("circles-mlp"), ["model.arch=convnet", f"model.impl={impl}"])
    assert info.value.key == "model.impl"


# --- batch modes ---------------------------------------------------------------------------------


def _events(runs_dir: Path, *overrides: str, preset: str = "circles-mlp") -> list:
    events: list = []
    cfg = apply_overrides(load_preset(preset), ["train.device=cpu", *overrides])
    assert fit(cfg, events.append, runs_dir=runs_dir).status == "completed"
    return events


@pytest.mark.parametrize(("batch_size", "steps"), [(1, 800), (0, 1), (7, math.ceil(800 / 7)), (800, 1), (5000, 1), (32, 25)])
def test_steps_per_epoch_follow_the_batch_size(runs_dir: Path, batch_size: int, steps: int) -> None:
    (started,) = [e for e in _events(runs_dir, "train.epochs=0", f"train.batch_size={batch_size}") if isinstance(e, RunStarted)]
    assert started.n_train == 800
    assert started.steps_per_epoch == steps


def _per_epoch_losses(events: list) -> dict[int, list[BatchProgress]]:
    out: dict[int, list[BatchProgress]] = {}
    for e in events:
        if isinstance(e, BatchProgress):
            out.setdefault(e.epoch, []).append(e)
    return out


@pytest.mark.parametrize("batch_size", [1, 0, 7])
def test_batch_progress_reports_every_step_loss(runs_dir: Path, batch_size: int) -> None:
    events = _events(runs_dir, "train.epochs=2", f"train.batch_size={batch_size}", "train.progress_interval=1e-9", "model.impl=manual")
    (started,) = [e for e in events if isinstance(e, RunStarted)]
    steps = started.steps_per_epoch
    by_epoch = _per_epoch_losses(events)
    assert sorted(by_epoch) == [1, 2]
    ended = {e.metrics.epoch: e.metrics for e in events if isinstance(e, EpochEnded)}
    for epoch, progress in by_epoch.items():
        losses = [v for p in progress for v in p.losses]
        assert len(losses) == steps
        assert [p.step for p in progress] == sorted({p.step for p in progress})
        assert progress[-1].step == steps and all(p.steps == steps for p in progress)
        for p in progress:
            assert p.loss == pytest.approx(sum(p.losses) / len(p.losses), rel=1e-9)
        # the epoch's train loss is the size-weighted mean of its step losses
        size = batch_size or 800
        sizes = [min(size, 800 - i * size) for i in range(steps)]
        weighted = sum(v * s for v, s in zip(losses, sizes, strict=True)) / 800
        assert weighted == pytest.approx(ended[epoch].train_loss, rel=1e-5)


def _successive_difference_std(values: list[float]) -> float:
    diffs = torch.tensor(values[1:], dtype=torch.float64) - torch.tensor(values[:-1], dtype=torch.float64)
    return diffs.std().item()


def test_batch_one_losses_are_noisier_than_full_batch(runs_dir: Path) -> None:
    sgd = [
        v
        for p in _per_epoch_losses(_events(runs_dir, "train.epochs=1", "train.progress_interval=1e-9", preset="circles-sgd"))[1]
        for v in p.losses
    ]
    full_events = _events(runs_dir, "train.epochs=30", "train.progress_interval=1e-9", preset="circles-fullbatch")
    full = [v for progress in _per_epoch_losses(full_events).values() for p in progress for v in p.losses]
    assert len(sgd) == 800 and len(full) == 30
    assert all(math.isfinite(v) for v in sgd + full)
    assert _successive_difference_std(sgd) > 10 * _successive_difference_std(full)


# --- gradcheck -----------------------------------------------------------------------------------


def _cli(*args: str, env_root: Path) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, "RDFIA_TUI_DATA": str(env_root)}
    return subprocess.run([sys.executable, "-m", "rdfia_tui", *args], capture_output=True, text=True, timeout=120, cwd=REPO, env=env)


_ROW = re.compile(r"^(fc\d+\.(?:weight|bias))\s+(\S+)\s+(\S+)\s+(.*)$")


def _rows(stdout: str) -> dict[str, tuple[float, float, str]]:
    rows = {}
    for line in stdout.splitlines():
        m = _ROW.match(line.strip())
        if m:
            rows[m.group(1)] = (float(m.group(2)), float(m.group(3)), m.group(4).strip())
    return rows


def test_gradcheck_cli(data_root: Path) -> None:
    done = _cli("gradcheck", "circles-mlp", env_root=data_root)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    rows = _rows(done.stdout)
    assert list(rows) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    for name, (diff, rel, verdict) in rows.items():
        assert 0 <= diff < 1e-6 and 0 <= rel < 1e-6, name
        assert verdict == "ok"
    assert "passed" in done.stdout

    strict = _cli("gradcheck", "circles-mlp", "--tolerance", "0", env_root=data_root)
    if all(rel == 0 for _, rel, _ in rows.values()):
        assert strict.returncode == 0
    else:
        assert strict.returncode == 1
        lines = strict.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("rdfia-tui: error:") and "tolerance" in lines[0]
        assert "Traceback" not in strict.stderr
        assert any(v == "TOO LARGE" for _, _, v in _rows(strict.stdout).values())

    convnet = _cli("gradcheck", "cifar10-convnet", env_root=data_root)
    assert convnet.returncode == 2
    assert "Traceback" not in convnet.stderr
    lines = convnet.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rdfia-tui: error:")
    assert "fc1.weight" not in convnet.stdout


def test_gradient_check_relu_mse_two_hidden_layers_on_digits(data_root: Path) -> None:
    cfg = apply_overrides(
        load_preset("digits-mlp"), ["model.activation=relu", "train.loss=mse", "model.hidden=[32, 16]", "train.device=cpu"]
    )
    rows = gradient_check(cfg, data_root=data_root)
    assert [name for name, _, _ in rows] == [f"fc{i}.{k}" for i in (1, 2, 3) for k in ("weight", "bias")]
    for name, diff, rel in rows:
        assert diff < 1e-12 and rel < GRADCHECK_TOLERANCE, name


def test_gradient_check_catches_a_wrong_derivative(monkeypatch: pytest.MonkeyPatch, data_root: Path) -> None:
    """The check can fail: with tanh' written as 1 − h instead of 1 − h², the first layer is off."""
    monkeypatch.setitem(manual_mod.ACTIVATIONS, "tanh", Activation(torch.tanh, lambda h, pre: 1 - h))
    rows = {name: rel for name, _, rel in gradient_check(load_preset("circles-mlp"), data_root=data_root)}
    assert rows["fc1.weight"] > 1e-3 and rows["fc1.bias"] > 1e-3
    assert rows["fc2.weight"] < 1e-9 and rows["fc2.bias"] < 1e-9  # the last layer does not use the derivative


# --- presets ---------------------------------------------------------------------------------------

LAB45 = [n for n in preset_names() if n.startswith(("circles-", "moons-")) or n in ("digits-mlp", "mnist-mlp")]


def test_lab45_presets_are_all_there() -> None:
    assert {
        "circles-mlp",
        "circles-manual",
        "circles-autograd",
        "circles-sgd",
        "circles-fullbatch",
        "circles-mse",
        "moons-mlp",
        "digits-mlp",
        "mnist-mlp",
    } <= set(LAB45)


@pytest.mark.parametrize("name", LAB45)
def test_lab45_preset_loads_and_names_a_question(name: str) -> None:
    cfg = load_preset(name)
    assert isinstance(cfg, RunConfig)
    assert cfg.name == name
    assert cfg.model.arch == "mlp"
    assert re.search(r"Q\d", cfg.description), cfg.description
    if cfg.model.impl != "module":
        assert cfg.optim.name == "sgd" and not cfg.optim.nesterov


def test_presets_set_what_their_names_say() -> None:
    assert load_preset("circles-manual").model.impl == "manual"
    assert load_preset("circles-autograd").model.impl == "autograd"
    assert load_preset("circles-sgd").train.batch_size == 1
    assert load_preset("circles-fullbatch").train.batch_size == 0
    assert load_preset("circles-mse").train.loss == "mse"
    # the hand-written presets are circles-mlp with only the impl changed ("same trajectory")
    base = dataclasses.asdict(load_preset("circles-mlp"))
    for name in ("circles-manual", "circles-autograd"):
        other = dataclasses.asdict(load_preset(name))
        for section in ("data", "optim", "schedule", "train"):
            assert other[section] == base[section], (name, section)
        assert {k: v for k, v in other["model"].items() if k != "impl"} == {k: v for k, v in base["model"].items() if k != "impl"}


@pytest.mark.parametrize("name", ["circles-manual", "circles-sgd", "circles-mse", "moons-mlp"])
def test_lab45_preset_learns(runs_dir: Path, name: str) -> None:
    epochs = _epochs(runs_dir, preset=name)
    assert len(epochs) == load_preset(name).train.epochs + 1
    assert epochs[-1].test_acc >= 0.95, [round(m.test_acc, 3) for m in epochs]
    assert epochs[-1].train_loss < epochs[0].train_loss


@pytest.mark.slow
def test_mnist_mlp_preset_reaches_97_percent(shared_data: Path, runs_dir: Path) -> None:
    events: list = []
    cfg = apply_overrides(load_preset("mnist-mlp"), ["train.device=cpu"])
    start = time.perf_counter()
    result = fit(cfg, events.append, runs_dir=runs_dir, data_root=shared_data)
    seconds = time.perf_counter() - start
    assert result.status == "completed", result.message
    epochs = [e.metrics for e in events if isinstance(e, EpochEnded)]
    assert [m.epoch for m in epochs] == list(range(11))
    (started,) = [e for e in events if isinstance(e, RunStarted)]
    assert (started.n_train, started.n_val, started.n_test) == (54_000, 6_000, 10_000)
    assert epochs[0].test_acc < 0.3
    assert epochs[-1].test_acc >= 0.97, (epochs[-1].test_acc, seconds)
    assert [e for e in events if isinstance(e, RunFinished)][-1].status == "completed"
