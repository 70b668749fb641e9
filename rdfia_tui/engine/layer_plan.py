"""The layers a model config will build, planned without torch: names, kinds, hyper-parameters and
parameter counts.

The model builders (``models.mlp``, ``models.convnet``) create their torch modules from these plans,
so the plan and the network cannot disagree; the console's layer table is the plan described by
``layers.describe``, in milliseconds, before torch is even imported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from rdfia_tui.engine.catalog import ACTIVATIONS
from rdfia_tui.engine.config import ModelConfig
from rdfia_tui.engine.errors import ArchitectureError
from rdfia_tui.engine.layers import LayerTable, describe
from rdfia_tui.engine.registry import Registry

Plan = list[tuple[str, "LayerSpec"]]


@dataclass
class LayerSpec:
    """One layer as the shape rules read it (torch's attribute names), with its parameter count."""

    kind: str
    param_count: int = 0
    in_channels: int = 0
    out_channels: int = 0
    kernel_size: int | tuple[int, int] = 1
    stride: int | tuple[int, int] | None = 1
    padding: int | tuple[int, int] = 0
    dilation: int | tuple[int, int] = 1
    ceil_mode: bool = False
    in_features: int = 0
    out_features: int = 0
    p: float = 0.0


def linear(inputs: int, outputs: int) -> LayerSpec:
    """A Linear layer, ``inputs`` → ``outputs``, with inputs·outputs + outputs parameters."""
    return LayerSpec("Linear", inputs * outputs + outputs, in_features=inputs, out_features=outputs)


def conv(inputs: int, outputs: int, kernel: int | tuple[int, int], padding: int = 0) -> LayerSpec:
    """A Conv2d layer (stride 1) with inputs·outputs·kh·kw + outputs parameters (Q1; conv2 of the course's CNN:
    64 × (32·5·5 + 1) = 51,264)."""
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    return LayerSpec("Conv2d", inputs * outputs * kh * kw + outputs, inputs, outputs, kernel_size=kernel, padding=padding)


def activation_kind(name: str) -> str:
    """The torch class an activation name stands for ("tanh" → "Tanh"), read from the catalog without importing it."""
    return ACTIVATIONS.target_name(name)


def plan_mlp(cfg: ModelConfig, input_shape: tuple[int, ...], n_classes: int) -> Plan:
    """flatten → (fc → activation) per hidden size → fc to the classes."""
    plan: Plan = [("flatten", LayerSpec("Flatten"))]
    width = math.prod(input_shape)
    for i, size in enumerate(cfg.hidden, start=1):
        plan += [(f"fc{i}", linear(width, size)), (f"{cfg.activation}{i}", LayerSpec(activation_kind(cfg.activation)))]
        width = size
    plan.append((f"fc{len(cfg.hidden) + 1}", linear(width, n_classes)))
    return plan


def plan_features(cfg: ModelConfig, input_shape: tuple[int, ...]) -> Plan:
    """(conv → [bn] → relu → pool) per convolution; with max-pooling, (conv → [bn] → pool → relu).

    The swap is exact: ReLU is monotonic, so max(relu(x)) = relu(max(x)) in every window, and the gradient
    reaches the same input (the window's first maximum); ReLU then runs on a quarter of the values (2×2 pool).
    Average pooling does not commute with ReLU and keeps the course's order."""
    plan: Plan = []
    channels = input_shape[0]
    pool = "MaxPool2d" if cfg.pool == "max" else "AvgPool2d"
    for i, (width, k, p) in enumerate(zip(cfg.conv_channels, cfg.conv_kernels, cfg.conv_paddings, strict=True), start=1):
        plan.append((f"conv{i}", conv(channels, width, k, p)))
        if cfg.batch_norm:
            plan.append((f"bn{i}", LayerSpec("BatchNorm2d", 2 * width)))
        relu = (f"relu{i}", LayerSpec("ReLU"))
        if cfg.pool_size > 1:
            pooled = (f"pool{i}", LayerSpec(pool, kernel_size=cfg.pool_size, stride=cfg.pool_size, ceil_mode=cfg.pool_ceil))
            plan += [pooled, relu] if pool == "MaxPool2d" else [relu, pooled]
        else:
            plan.append(relu)
        channels = width
    return plan


def plan_convnet(cfg: ModelConfig, input_shape: tuple[int, ...], n_classes: int) -> Plan:
    """The course's CNN: the features, then ([dropout] → fc → relu) per fc, [dropout] → fc.

    Raises ArchitectureError (with the table up to the failing layer) when the features collapse the map.
    """
    if len(input_shape) != 3:
        raise ArchitectureError(f"the convnet needs image input (C, H, W), got features of shape {input_shape}; use model.arch=mlp")
    plan = plan_features(cfg, input_shape)
    table = describe([(name, replace(spec)) for name, spec in plan], input_shape)
    if table.error:
        raise ArchitectureError(table.error, table)
    plan.append(("flatten", LayerSpec("Flatten")))
    width, index = math.prod(table.output_shape), len(cfg.conv_channels) + 1
    for size in cfg.fc:
        if cfg.dropout > 0:
            plan.append((f"dropout{index}", LayerSpec("Dropout", p=cfg.dropout)))
        plan += [(f"fc{index}", linear(width, size)), (f"relu{index}", LayerSpec("ReLU"))]
        width, index = size, index + 1
    if cfg.dropout > 0:
        plan.append((f"dropout{index}", LayerSpec("Dropout", p=cfg.dropout)))
    plan.append((f"fc{index}", linear(width, n_classes)))
    return plan


def fully_convolutional(plan: Plan, feature_shape: tuple[int, ...]) -> Plan:
    """The same plan with each fc a convolution of the same weights: the first covers the whole
    feature map, the next ones are 1×1; a ClassMap turns a 1×1 score map into logits (Q4-6)."""
    _, h, w = feature_shape
    out: Plan = []
    first = True
    for name, spec in plan:
        if spec.kind == "Flatten":
            continue
        if spec.kind == "Linear":
            kernel = (h, w) if first else (1, 1)
            out.append((name, conv(spec.in_features // (kernel[0] * kernel[1]), spec.out_features, kernel)))
            first = False
        else:
            out.append((name, spec))
    out.append(("scores", LayerSpec("ClassMap")))
    return out


def plan_whole_convnet(cfg: ModelConfig, input_shape: tuple[int, ...], n_classes: int) -> Plan:
    """plan_convnet, made fully convolutional when ``cfg.fully_conv``."""
    plan = plan_convnet(cfg, input_shape, n_classes)
    if cfg.fully_conv:
        features = describe([(n, replace(s)) for n, s in plan_features(cfg, input_shape)], input_shape)
        return fully_convolutional(plan, features.output_shape)
    return plan


PLANS: Registry = Registry("model")  # the same names as catalog.MODELS (a test keeps them in step)
PLANS.register("mlp", plan_mlp)
PLANS.register("convnet", plan_whole_convnet)


def plan_model(cfg: ModelConfig, input_shape: tuple[int, ...], n_classes: int) -> Plan:
    """The plan of the network ``cfg`` builds for ``input_shape`` inputs and ``n_classes`` outputs."""
    return PLANS.get(cfg.arch)(cfg, input_shape, n_classes)


def plan_table(cfg: ModelConfig, input_shape: tuple[int, ...], n_classes: int, described_on: tuple[int, ...] | None = None) -> LayerTable:
    """The layer table of ``cfg``'s network (on ``described_on`` when given: a fully-convolutional net on
    larger images), or the rows up to the layer that fails, with its message."""
    try:
        plan = plan_model(cfg, input_shape, n_classes)
    except ArchitectureError as exc:
        return exc.table if isinstance(exc.table, LayerTable) else LayerTable(tuple(input_shape), [], str(exc))
    return describe([(name, replace(spec)) for name, spec in plan], described_on or input_shape)
