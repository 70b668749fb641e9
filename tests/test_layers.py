"""The layer table: shapes, parameter counts, receptive fields, and the too-small-input error."""

from __future__ import annotations

import itertools
import math
import random
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from rdfia_tui.engine.config import ModelConfig, RunConfig, apply_overrides
from rdfia_tui.engine.errors import ArchitectureError
from rdfia_tui.engine.layers import LayerRow, LayerTable, describe
from rdfia_tui.engine.models import build_model
from rdfia_tui.engine.models.convnet import build_convnet
from rdfia_tui.engine.models.mlp import build_mlp
from rdfia_tui.engine.presets import load_preset
from rdfia_tui.engine.training import fit

CONVNET = ModelConfig(arch="convnet")


def _real_shapes(model: nn.Sequential, input_shape: tuple[int, ...], batch: int = 2) -> list[tuple[int, ...]]:
    """The output shape (without the batch axis) of every top-level layer, from a real forward pass."""
    shapes: list[tuple[int, ...]] = []
    hooks = [m.register_forward_hook(lambda _m, _i, out: shapes.append(tuple(out.shape[1:]))) for m in model.children()]
    try:
        model.eval()
        with torch.no_grad():
            model(torch.rand(batch, *input_shape))
    finally:
        for h in hooks:
            h.remove()
    return shapes


def _expected_params(module: nn.Module) -> int:
    """Parameter count from the layer's hyper-parameters, not from torch."""
    if isinstance(module, nn.Conv2d):
        kh, kw = module.kernel_size
        return module.in_channels * module.out_channels * kh * kw + (module.out_channels if module.bias is not None else 0)
    if isinstance(module, nn.Linear):
        return module.in_features * module.out_features + (module.out_features if module.bias is not None else 0)
    if isinstance(module, nn.BatchNorm2d | nn.BatchNorm1d):
        return 2 * module.num_features
    return 0


# --- the course's network -------------------------------------------------------------------


def test_default_convnet_at_32_has_the_course_parameter_count() -> None:
    model = build_convnet(CONVNET, (3, 32, 32), 10)
    table = describe(model, (3, 32, 32))
    assert table.error is None
    assert table.total_params == 231_170
    assert sum(p.numel() for p in model.parameters()) == 231_170
    rows = {r.name: r for r in table.rows}
    # 32 * 64 * 5 * 5 weights + 64 biases
    assert rows["conv2"].params == 51_264
    assert rows["conv1"].params == 3 * 32 * 25 + 32
    assert rows["fc4"].params == 64 * 1000 + 1000
    assert rows["fc5"].params == 1000 * 10 + 10
    assert table.output_shape == (10,)


def test_default_convnet_receptive_fields_and_jumps() -> None:
    table = describe(build_convnet(CONVNET, (3, 32, 32), 10), (3, 32, 32))
    rows = {r.name: r for r in table.rows}
    names = ["conv1", "pool1", "conv2", "pool2", "conv3", "pool3"]
    assert [rows[n].receptive_field for n in names] == [5, 6, 14, 16, 32, 36]
    assert [rows[n].jump for n in names] == [1, 2, 2, 4, 4, 8]
    assert [rows[n].out_shape for n in names] == [(32, 32, 32), (32, 16, 16), (64, 12, 12), (64, 6, 6), (64, 2, 2), (64, 1, 1)]
    # activations keep the map and so its receptive field (relu2 follows pool2: max-pool runs first); flat layers have none
    assert (rows["relu2"].receptive_field, rows["relu2"].jump, rows["relu2"].out_shape) == (16, 4, (64, 6, 6))
    assert rows["fc4"].receptive_field is None and rows["fc4"].jump is None


def test_default_convnet_refuses_28x28_and_names_pool3() -> None:
    with pytest.raises(ArchitectureError) as info:
        build_convnet(CONVNET, (3, 28, 28), 10)
    message = str(info.value)
    assert "pool3" in message
    assert "\n" not in message
    assert "pool_ceil" in message or "padding" in message
    table = info.value.table
    assert isinstance(table, LayerTable)
    assert table.error == message
    assert table.rows[-1].name == "pool3"
    assert table.rows[-1].out_shape == (64, 0, 0)
    # 28 → conv1(pad 2) 28 → pool 14 → conv2 10 → pool 5 → conv3 1 → pool 0
    assert [r.out_shape[1] for r in table.rows if r.name.startswith(("conv", "pool"))] == [28, 14, 10, 5, 1, 0]


def test_pool_ceil_lets_the_convnet_run_at_28() -> None:
    cfg = ModelConfig(arch="convnet", pool_ceil=True)
    model = build_model(cfg, (3, 28, 28), 10)
    table = describe(model, (3, 28, 28))
    assert table.error is None
    assert {r.name: r.out_shape for r in table.rows}["pool3"] == (64, 1, 1)
    model.eval()
    with torch.no_grad():
        out = model(torch.rand(4, 3, 28, 28))
    assert out.shape == (4, 10)
    assert [r.out_shape for r in table.rows] == _real_shapes(model, (3, 28, 28))


def test_row_and_table_to_dict() -> None:
    row = LayerRow("conv1", "Conv2d", (32, 32, 32), 2432, 5, 1)
    assert row.to_dict() == {"name": "conv1", "kind": "Conv2d", "out_shape": [32, 32, 32], "params": 2432, "receptive_field": 5, "jump": 1}
    table = describe(build_convnet(CONVNET, (3, 32, 32), 10), (3, 32, 32))
    d = table.to_dict()
    assert d["input_shape"] == [3, 32, 32]
    assert d["total_params"] == 231_170
    assert d["error"] is None
    assert len(d["rows"]) == len(table.rows)


# --- describe against torch ---------------------------------------------------------------


def _random_stack(rng: random.Random) -> tuple[nn.Sequential, tuple[int, int, int]]:
    """A random stack of convolutions (stride, dilation, padding) and max/avg pools (ceil mode, padding)."""
    c = rng.choice([1, 2, 3])
    shape = (c, rng.randint(1, 40), rng.randint(1, 40))
    layers: list[nn.Module] = []
    cin = c
    for _ in range(rng.randint(1, 4)):
        cout = rng.randint(1, 5)
        layers.append(
            nn.Conv2d(cin, cout, rng.randint(1, 5), stride=rng.randint(1, 3), padding=rng.randint(0, 3), dilation=rng.randint(1, 2))
        )
        cin = cout
        if rng.random() < 0.3:
            layers.append(nn.BatchNorm2d(cout))
        layers.append(rng.choice([nn.ReLU, nn.Tanh, nn.Sigmoid])())
        if rng.random() < 0.7:
            k = rng.randint(1, 3)
            stride = rng.choice([None, 1, 2, 3])
            pad = rng.randint(0, k // 2)
            ceil = rng.random() < 0.5
            if rng.random() < 0.5:
                layers.append(nn.MaxPool2d(k, stride=stride, padding=pad, dilation=rng.randint(1, 2), ceil_mode=ceil))
            else:
                layers.append(nn.AvgPool2d(k, stride=stride, padding=pad, ceil_mode=ceil))
    return nn.Sequential(*layers), shape


def test_describe_matches_torch_on_random_conv_pool_stacks() -> None:
    rng = random.Random(1234)
    built = refused = 0
    for _ in range(300):
        model, shape = _random_stack(rng)
        table = describe(model, shape)
        if table.error is None:
            built += 1
            assert [r.out_shape for r in table.rows] == _real_shapes(model, shape), (model, shape)
            for row, module in zip(table.rows, model.children(), strict=True):
                assert row.params == _expected_params(module), (row, module)
            assert table.total_params == sum(p.numel() for p in model.parameters())
        else:
            refused += 1
            # an empty map in describe is an error in torch too
            with pytest.raises(RuntimeError):
                _real_shapes(model, shape)
            last = table.rows[-1]
            assert last.name in table.error
            assert any(s <= 0 for s in last.out_shape)
    # the generator exercises both outcomes
    assert built > 50 and refused > 20


def test_describe_matches_torch_on_random_convnet_configs() -> None:
    rng = random.Random(99)
    built = refused = 0
    for _ in range(60):
        n = rng.randint(1, 3)
        cfg = ModelConfig(
            arch="convnet",
            conv_channels=tuple(rng.randint(1, 6) for _ in range(n)),
            conv_kernels=tuple(rng.randint(1, 5) for _ in range(n)),
            conv_paddings=tuple(rng.randint(0, 2) for _ in range(n)),
            pool=rng.choice(["max", "avg"]),
            pool_size=rng.randint(1, 3),
            pool_ceil=rng.random() < 0.5,
            fc=tuple(rng.randint(1, 8) for _ in range(rng.randint(0, 2))),
            dropout=rng.choice([0.0, 0.3]),
            batch_norm=rng.random() < 0.5,
        )
        shape = (rng.choice([1, 3]), rng.randint(4, 24), rng.randint(4, 24))
        n_classes = rng.randint(2, 7)
        try:
            model = build_convnet(cfg, shape, n_classes)
        except ArchitectureError as exc:
            refused += 1
            assert exc.table.rows[-1].name in str(exc)
            continue
        built += 1
        table = describe(model, shape)
        assert table.error is None
        assert [r.out_shape for r in table.rows] == _real_shapes(model, shape), (cfg, shape)
        assert table.output_shape == (n_classes,)
        for row, module in zip(table.rows, model.children(), strict=True):
            assert row.params == _expected_params(module)
        assert table.total_params == sum(p.numel() for p in model.parameters())
    assert built > 10 and refused > 3


def test_describe_mlp_tables_match_torch() -> None:
    rng = random.Random(7)
    for _ in range(30):
        shape = rng.choice([(rng.randint(1, 10),), (1, rng.randint(1, 8), rng.randint(1, 8)), (3, 4, 5)])
        hidden = tuple(rng.randint(1, 12) for _ in range(rng.randint(0, 3)))
        cfg = ModelConfig(arch="mlp", hidden=hidden, activation=rng.choice(["tanh", "relu", "sigmoid"]))
        n_classes = rng.randint(2, 5)
        model = build_mlp(cfg, shape, n_classes)
        table = describe(model, shape)
        assert table.error is None
        assert [r.out_shape for r in table.rows] == _real_shapes(model, shape)
        assert table.rows[0].out_shape == (math.prod(shape),)
        assert table.output_shape == (n_classes,)
        widths = [math.prod(shape), *hidden, n_classes]
        assert table.total_params == sum(a * b + b for a, b in itertools.pairwise(widths))
        assert table.total_params == sum(p.numel() for p in model.parameters())
        assert all(r.receptive_field is None for r in table.rows)


def test_circles_mlp_table() -> None:
    table = describe(build_mlp(ModelConfig(), (2,), 2), (2,))
    assert [(r.name, r.out_shape, r.params) for r in table.rows] == [
        ("flatten", (2,), 0),
        ("fc1", (4,), 2 * 4 + 4),
        ("tanh1", (4,), 0),
        ("fc2", (2,), 4 * 2 + 2),
    ]


def _gradient_extent(model: nn.Sequential, size: int, index: int) -> tuple[int, int]:
    """Rows of the input that influence output unit (index, index) of channel 0: (first, last)."""
    x = torch.ones(1, 1, size, size, dtype=torch.float64, requires_grad=True)
    out = model(x)
    out[0, 0, index, index].backward()
    rows = torch.nonzero(x.grad[0, 0].abs().sum(dim=1) > 0).flatten()
    return int(rows.min()), int(rows.max())


def test_receptive_field_and_jump_match_gradients() -> None:
    """With all-ones convolutions and average pools, an output unit's input gradient is non-zero exactly on its receptive field."""
    rng = random.Random(5)
    checked = 0
    for _ in range(40):
        layers: list[nn.Module] = []
        for _ in range(rng.randint(1, 4)):
            conv = nn.Conv2d(1, 1, rng.randint(1, 5), stride=rng.randint(1, 2), dilation=rng.randint(1, 2), bias=False)
            layers.append(conv)
            if rng.random() < 0.6:
                k = rng.randint(2, 3)
                layers.append(nn.AvgPool2d(k, stride=rng.randint(1, k)))
        model = nn.Sequential(*layers).double()
        for m in model:
            if isinstance(m, nn.Conv2d):
                nn.init.ones_(m.weight)
        size = 96
        table = describe(model, (1, size, size))
        if table.error is not None or table.output_shape[1] < 3:
            continue
        last = table.rows[-1]
        mid = table.output_shape[1] // 2
        first, end = _gradient_extent(model, size, mid)
        assert end - first + 1 == last.receptive_field, model
        next_first, _ = _gradient_extent(model, size, mid + 1)
        assert next_first - first == last.jump, model
        checked += 1
    assert checked > 20


def test_describe_reports_channel_mismatch_and_unknown_layers() -> None:
    bad = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Conv2d(4, 8, 3))
    table = describe(bad, (3, 10, 10))
    assert table.error is not None and "1" in table.error and "4 input channels" in table.error
    assert [r.name for r in table.rows] == ["0"]

    class Odd(nn.Module):
        def forward(self, x):
            return x

    table = describe(nn.Sequential(nn.Flatten(), Odd()), (2,))
    assert table.error is not None and "Odd" in table.error


# --- fit refuses an impossible network before it records anything -------------------------


def test_fit_refuses_28x28_rgb_with_the_default_convnet(tmp_path: Path, runs_dir: Path) -> None:
    rng = np.random.default_rng(0)
    path = tmp_path / "rgb28.npz"
    np.savez(
        path,
        x_train=rng.integers(0, 256, size=(12, 28, 28, 3), dtype=np.uint8),
        y_train=np.arange(12) % 3,
        x_test=rng.integers(0, 256, size=(6, 28, 28, 3), dtype=np.uint8),
        y_test=np.arange(6) % 3,
    )
    cfg = apply_overrides(
        RunConfig(name="rgb28"),
        [f"data.path={path}", "data.dataset=npz", "model.arch=convnet", "train.epochs=1", "train.device=cpu"],
    )
    with pytest.raises(ArchitectureError) as info:
        fit(cfg, runs_dir=runs_dir)
    assert "pool3" in str(info.value)
    assert not runs_dir.exists() or not any(runs_dir.iterdir())


def test_overrides_can_change_the_number_of_convolutions() -> None:
    """Three --set overrides that together describe a two-convolution network must be accepted (in the order given)."""
    cfg = apply_overrides(
        RunConfig(name="two-convs"),
        ["model.arch=convnet", "model.conv_channels=[16,32]", "model.conv_kernels=[5,5]", "model.conv_paddings=[2,0]"],
    )
    model = build_model(cfg.model, (3, 32, 32), 10)
    table = describe(model, (3, 32, 32))
    # 32 → conv1 32 → pool 16 → conv2 12 → pool 6
    assert {r.name: r.out_shape for r in table.rows}["pool2"] == (32, 6, 6)


# --- the plan: the table without torch, and the same network the builders make ---------------------

PLAN_CASES = [
    ("circles-mlp", [], (2,), 2),
    ("digits-mlp", ["model.hidden=7,5", "model.activation=relu"], (1, 8, 8), 10),
    ("cifar10-convnet", [], (3, 32, 32), 10),
    ("cifar10-batchnorm", [], (3, 28, 28), 10),
    ("cifar10-dropout", [], (3, 28, 28), 10),
    ("cifar10-convnet", ["model.fully_conv=true"], (3, 32, 32), 10),
    ("cifar10-convnet", ["model.pool=avg", "model.pool_ceil=true"], (3, 30, 30), 7),
    ("cifar10-convnet", ["model.pool_size=1", "model.fc=64,32"], (1, 20, 24), 3),
]


@pytest.mark.parametrize(("preset", "overrides", "shape", "classes"), PLAN_CASES)
def test_the_plan_is_the_network_the_builders_make(preset: str, overrides: list[str], shape: tuple, classes: int) -> None:
    from rdfia_tui.engine.layer_plan import plan_table

    model_cfg = apply_overrides(load_preset(preset), overrides).model
    built = describe(build_model(model_cfg, shape, classes), shape)
    assert plan_table(model_cfg, shape, classes) == built
    assert built.total_params == sum(p.numel() for p in build_model(model_cfg, shape, classes).parameters())


def test_an_impossible_plan_stops_at_the_same_layer() -> None:
    from rdfia_tui.engine.errors import ArchitectureError
    from rdfia_tui.engine.layer_plan import plan_table

    model_cfg = load_preset("cifar10-convnet").model
    planned = plan_table(model_cfg, (3, 16, 16), 10)
    with pytest.raises(ArchitectureError) as info:
        build_model(model_cfg, (3, 16, 16), 10)
    assert planned == info.value.table and "conv3" in planned.error


def test_a_layer_table_needs_no_torch(tmp_path: Path) -> None:
    import subprocess
    import sys

    x = np.zeros((10, 12, 14, 3), dtype=np.uint8)
    np.savez(tmp_path / "d.npz", x_train=x, y_train=np.arange(10) % 4, x_test=x, y_test=np.arange(10) % 4)
    code = (
        "import sys\n"
        "from rdfia_tui.engine.config import apply_overrides\n"
        "from rdfia_tui.engine.model_checks import layer_table\n"
        "from rdfia_tui.engine.presets import load_preset\n"
        f"cfg = apply_overrides(load_preset('cifar10-convnet'), ['data.dataset=npz', 'data.path={tmp_path / 'd.npz'}', "
        "'model.conv_paddings=2,2,2'])\n"
        "table = layer_table(cfg)\n"
        "print(table.input_shape, table.rows[-1].out_shape, 'torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.strip() == "(3, 12, 14) (4,) False"  # (N, H, W, C) read from the header, 4 classes from the labels
