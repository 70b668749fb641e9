"""Issue 18's training changes: the exact speed-ups (max-pool before ReLU, in-place ReLU) give the same numbers, and
the time-to-accuracy tricks (one-cycle lr per step, label smoothing, test-time flips) do what they say."""

from __future__ import annotations

import copy
import dataclasses
import math
from collections import OrderedDict
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from rdfia_tui.engine import layer_plan
from rdfia_tui.engine.config import ModelConfig, apply_overrides
from rdfia_tui.engine.control import RunControl
from rdfia_tui.engine.data.splits import Split
from rdfia_tui.engine.errors import ConfigError
from rdfia_tui.engine.events import BatchProgress
from rdfia_tui.engine.layer_plan import plan_model
from rdfia_tui.engine.models import build_model
from rdfia_tui.engine.models.modules import MODULES, FlipAveraged
from rdfia_tui.engine.presets import load_preset
from rdfia_tui.engine.runs.record import read_metrics_csv
from rdfia_tui.engine.runs.summary import read_summary
from rdfia_tui.engine.schedules import ONECYCLE_START, lr_at, lr_table
from rdfia_tui.engine.setup import set_up
from rdfia_tui.engine.training import EpochLoop, fit, train_one_epoch
from tests.helpers import circles, make_npz, tiny_cfg

COURSE = load_preset("cifar10-convnet").model
TIMING = ("seconds", "images_per_s")


def course_order(model: nn.Sequential) -> nn.Sequential:
    """The same layers (shared weights) in the course's order, relu → pool, with out-of-place ReLUs."""
    layers = list(model.named_children())
    out: list[tuple[str, nn.Module]] = []
    for name, layer in layers:
        if isinstance(layer, nn.ReLU) and out and isinstance(out[-1][1], nn.MaxPool2d):
            out.insert(len(out) - 1, (name, nn.ReLU()))
        else:
            out.append((name, nn.ReLU() if isinstance(layer, nn.ReLU) else layer))
    return nn.Sequential(OrderedDict(out))


def test_max_pool_comes_before_relu_and_avg_pool_after() -> None:
    names = [n for n, _ in plan_model(COURSE, (3, 32, 32), 10)]
    assert names[:3] == ["conv1", "pool1", "relu1"]
    avg = [n for n, _ in plan_model(dataclasses.replace(COURSE, pool="avg"), (3, 32, 32), 10)]
    assert avg[:3] == ["conv1", "relu1", "pool1"]


@pytest.mark.parametrize("batch_norm", [False, True])
def test_pool_then_relu_equals_relu_then_pool_in_outputs_and_gradients(batch_norm: bool) -> None:
    torch.manual_seed(0)
    fast = build_model(dataclasses.replace(COURSE, batch_norm=batch_norm, pool_ceil=True), (3, 32, 32), 10)
    slow = course_order(copy.deepcopy(fast))
    expected = ["Conv2d", *(["BatchNorm2d"] if batch_norm else []), "ReLU", "MaxPool2d"]
    assert [type(m).__name__ for m in slow][: len(expected)] == expected
    x = torch.randn(16, 3, 32, 32)
    y = torch.randint(0, 10, (16,))
    for net in (fast, slow):
        F.cross_entropy(net(x), y).backward()
    assert torch.equal(fast(x), slow(x))
    for (name, a), b in zip(fast.named_parameters(), slow.parameters(), strict=True):
        assert torch.equal(a.grad, b.grad), name


def test_relu_is_in_place_and_changes_no_gradient() -> None:
    assert MODULES.get("ReLU")(layer_plan.LayerSpec("ReLU")).inplace
    torch.manual_seed(1)
    net = build_model(dataclasses.replace(COURSE, batch_norm=True), (3, 32, 32), 10)
    plain = copy.deepcopy(net)
    for name, layer in plain.named_children():
        if isinstance(layer, nn.ReLU):
            setattr(plain, name, nn.ReLU())
    x, y = torch.randn(8, 3, 32, 32), torch.randint(0, 10, (8,))
    for model in (net, plain):
        F.cross_entropy(model(x), y).backward()
    for a, b in zip(net.parameters(), plain.parameters(), strict=True):
        assert torch.equal(a.grad, b.grad)


def _course_order_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the engine build relu → pool with out-of-place ReLUs, as before issue 18."""
    new = layer_plan.plan_features

    def old(cfg: ModelConfig, input_shape: tuple[int, ...]) -> layer_plan.Plan:
        plan = new(cfg, input_shape)
        for i in range(1, len(plan)):
            if plan[i][1].kind == "ReLU" and plan[i - 1][1].kind == "MaxPool2d":
                plan[i - 1], plan[i] = plan[i], plan[i - 1]
        return plan

    monkeypatch.setattr(layer_plan, "plan_features", old)
    monkeypatch.setitem(MODULES._entries, "ReLU", lambda s: nn.ReLU())


def test_the_same_seed_gives_the_same_metrics_before_and_after_the_speed_ups(
    tmp_path: Path, runs_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = make_npz(tmp_path / "tiny.npz", [40, 40, 40], [10, 10, 10], size=8)
    model = ModelConfig(arch="convnet", conv_channels=(4, 6), conv_kernels=(3, 3), conv_paddings=(1, 1), fc=(8,), batch_norm=True)
    cfg = tiny_cfg(data, "train.epochs=3", "data.augment=hflip", "optim.momentum=0.9", "train.precision=fp32", model=model)
    after = fit(cfg, runs_dir=runs_dir)
    with monkeypatch.context() as m:
        _course_order_plan(m)
        assert [type(x).__name__ for x in build_model(model, (3, 8, 8), 3)][:4] == ["Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d"]
        before = fit(cfg, runs_dir=runs_dir)

    def rows(run: Path) -> list[dict]:
        return [{k: v for k, v in r.items() if k not in TIMING} for r in read_metrics_csv(run / "metrics.csv")]

    assert rows(after.run_dir) == rows(before.run_dir)


# ---- one-cycle -----------------------------------------------------------------------------------


def test_onecycle_rises_from_lr0_over_25_to_lr0_then_falls_to_zero() -> None:
    cfg = apply_overrides(load_preset("cifar10-fast"), ["schedule.warmup=0.25"]).schedule
    assert lr_at(cfg, 0.4, 0, 8) == pytest.approx(0.4 * ONECYCLE_START)
    assert lr_at(cfg, 0.4, 2, 8) == pytest.approx(0.4)
    assert lr_at(cfg, 0.4, 1, 8) == pytest.approx(0.4 * (1 / 25 + 24 / 25 / 2))
    assert lr_at(cfg, 0.4, 5, 8) == pytest.approx(0.4 * 3 / 6)
    assert lr_at(cfg, 0.4, 8, 8) == 0.0
    table = lr_table(cfg, 0.4, 8)
    assert table[:3] == sorted(table[:3]) and table[2:] == sorted(table[2:], reverse=True)
    assert lr_at(cfg, 0.4, 0, 0) == pytest.approx(0.4 / 25)  # a run of 0 epochs only measures epoch 0


def test_a_stepped_schedule_sets_the_lr_before_every_step() -> None:
    torch.manual_seed(0)
    model = nn.Linear(2, 2)
    optimiser = torch.optim.SGD(model.parameters(), lr=1.0)
    seen: list[float] = []

    def step(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        seen.append(optimiser.param_groups[0]["lr"])
        logits = model(x)
        return F.cross_entropy(logits, y).detach(), logits.detach()

    split = Split(torch.randn(40, 2), torch.arange(40) % 2)
    loop = EpochLoop(model, split, 10, torch.Generator().manual_seed(0), optimiser, step, planned_lr=lambda s: 0.1 * s, lr_scale=0.5)
    out = train_one_epoch(loop, RunControl(), lambda *args: None)
    assert seen == pytest.approx([0.05, 0.1, 0.15, 0.2]) and out.first_lr == pytest.approx(0.05)


def test_a_onecycle_run_records_each_epochs_first_lr(runs_dir: Path) -> None:
    cfg = circles("schedule.name=onecycle", "train.epochs=4", "train.batch_size=50")
    result = fit(cfg, runs_dir=runs_dir)
    lrs = [row["lr"] for row in read_metrics_csv(result.run_dir / "metrics.csv")]
    assert lrs == pytest.approx([lr_at(cfg.schedule, cfg.optim.lr, max(0, e - 1), 4) for e in range(5)], rel=1e-9)
    assert lrs == pytest.approx([lrs[0], *lr_table(cfg.schedule, cfg.optim.lr, 4)])  # what `rdfia-tui schedule` prints


def test_an_lr_set_by_hand_rescales_the_onecycle_schedule(runs_dir: Path) -> None:
    cfg = circles("schedule.name=onecycle", "train.epochs=4", "train.batch_size=50", "train.progress_interval=0.000001")
    control = RunControl()
    asked = []

    def emit(event) -> None:
        if isinstance(event, BatchProgress) and event.epoch == 2 and event.step == 1 and not asked:
            asked.append(True)
            control.request_lr(lr_at(cfg.schedule, cfg.optim.lr, 1 + 1 / 4, 4) / 2)  # half the schedule's lr at step 2

    result = fit(cfg, emit, control, runs_dir=runs_dir)
    lrs = [row["lr"] for row in read_metrics_csv(result.run_dir / "metrics.csv")]
    assert lrs[2] == pytest.approx(lr_at(cfg.schedule, cfg.optim.lr, 1, 4))  # epoch 2's first step came before the change
    for epoch in (3, 4):
        assert lrs[epoch] == pytest.approx(lr_at(cfg.schedule, cfg.optim.lr, epoch - 1, 4) / 2, rel=1e-9)
    assert [(c["epoch"], c["step"]) for c in read_summary(result.run_dir)["lr_changes"]] == [(2, 2)]


# ---- label smoothing and test-time flips -----------------------------------------------------------


def test_label_smoothing_trains_on_smoothed_targets_and_evaluates_plain_cross_entropy(tmp_path: Path) -> None:
    data = make_npz(tmp_path / "tiny.npz", [20, 20, 20], [5, 5, 5], size=8)
    setup = set_up(tiny_cfg(data, "train.label_smoothing=0.2", "train.precision=fp32"))
    x, y = setup.pipeline.eval_batch(setup.splits.test.x[:6]), setup.splits.test.y[:6]
    setup.net.eval()
    logits = setup.net(x)
    k = setup.splits.n_classes
    smoothed = (-(F.log_softmax(logits, 1)) * (0.8 * F.one_hot(y, k) + 0.2 / k)).sum(1).mean()
    assert setup.step.loss_fn(logits, y).item() == pytest.approx(smoothed.item(), rel=1e-6)
    assert setup.loss_fn(logits, y).item() == pytest.approx(F.cross_entropy(logits, y).item(), rel=1e-6)


@pytest.mark.parametrize("overrides", [["train.loss=mse"], ["model.impl=manual", "model.arch=mlp"]])
def test_label_smoothing_outside_cross_entropy_is_refused(overrides: list[str]) -> None:
    with pytest.raises(ConfigError, match=r"train\.label_smoothing"):
        circles("train.label_smoothing=0.1", *overrides)


def test_flip_averaged_logits_are_the_mean_over_the_image_and_its_mirror() -> None:
    torch.manual_seed(2)
    inner = build_model(dataclasses.replace(COURSE, batch_norm=True), (3, 32, 32), 10)
    net = FlipAveraged(inner)
    x = torch.randn(5, 3, 32, 32)
    net.eval()
    expected = (inner(x) + inner(torch.flip(x, dims=[3]))) / 2
    assert torch.allclose(net(x), expected, atol=1e-5)
    assert not torch.allclose(net(x), inner(x), atol=1e-3)
    net.train()
    torch.manual_seed(3)
    a = net(x)
    torch.manual_seed(3)
    assert torch.equal(a, inner(x))


def test_tta_flip_on_points_is_one_line() -> None:
    with pytest.raises(ConfigError, match=r"train\.tta_flip: test-time flipping needs images"):
        set_up(circles("train.tta_flip=true"))


# ---- the preset ---------------------------------------------------------------------------------------


def test_cifar10_fast_keeps_the_course_network_within_twice_its_parameters() -> None:
    fast, course = load_preset("cifar10-fast"), load_preset("cifar10-convnet")
    table = layer_plan.plan_table(fast.model, (3, 32, 32), 10)
    course_table = layer_plan.plan_table(course.model, (3, 32, 32), 10)
    kinds = [r.kind for r in table.rows]
    assert kinds.count("Conv2d") == 3 and kinds.count("Linear") == 2
    assert fast.model.conv_kernels == course.model.conv_kernels
    assert course_table.total_params == 231_170
    assert table.total_params <= 2 * course_table.total_params
    assert math.isclose(fast.train.label_smoothing, 0.1) and fast.train.tta_flip and fast.schedule.name == "onecycle"
