"""The layer table: output shape, parameters, receptive field and jump of every layer.

Shapes are computed from each layer's hyper-parameters, not by running the model, so an
impossible architecture is described (and named) instead of crashing inside torch. The rules are
keyed by the layer's kind (its class name) and read only its attributes (kernel_size, stride,
in_features…), so they describe torch modules and the torch-free plans of ``layer_plan`` alike:
this module never imports torch.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

Shape = tuple[int, ...]
Layer = Any  # a torch module, or a layer_plan.LayerSpec: anything with the attributes its rule reads


@dataclass(frozen=True)
class LayerRow:
    """One layer: name, kind, output shape (no batch axis), parameters, and for a (C, H, W) output its receptive field and
    jump in input pixels (Q7: r_l = r_{l−1} + (k_l − 1)·d_l·j_{l−1}, j_l = j_{l−1}·s_l; read along the height)."""

    name: str
    kind: str
    out_shape: Shape
    params: int
    receptive_field: int | None = None
    jump: int | None = None

    def to_dict(self) -> dict:
        """The row as JSON values (``out_shape`` a list)."""
        return asdict(self) | {"out_shape": list(self.out_shape)}


@dataclass(frozen=True)
class LayerTable:
    """The rows for an input of ``input_shape`` (no batch axis); ``error`` names the layer where the network breaks."""

    input_shape: Shape
    rows: list[LayerRow] = field(default_factory=list)
    error: str | None = None

    @property
    def total_params(self) -> int:
        """The sum of the rows' parameters (231,170 for the course's CNN on CIFAR-10)."""
        return sum(r.params for r in self.rows)

    @property
    def output_shape(self) -> Shape:
        """The last row's output shape; the input shape when there is no row."""
        return self.rows[-1].out_shape if self.rows else self.input_shape

    def to_dict(self) -> dict:
        """The table as JSON values, for summary.json and RunStarted."""
        return {
            "input_shape": list(self.input_shape),
            "rows": [r.to_dict() for r in self.rows],
            "total_params": self.total_params,
            "error": self.error,
        }


@dataclass
class _Walk:
    """Shape, receptive field and jump carried from layer to layer."""

    shape: Shape
    rf: int = 1
    jump: int = 1


def _pair(v: int | tuple[int, ...]) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[-1]))


def _window_out(size: int, k: int, s: int, p: int, d: int = 1, ceil: bool = False) -> int:
    """⌊(x + 2p − d(k − 1) − 1)/s⌋ + 1, or its ceiling variant (torch's ceil_mode)."""
    span = size + 2 * p - d * (k - 1) - 1
    if not ceil:
        return max(span // s + 1, 0)
    out = -(-span // s) + 1
    # torch drops a last window that would start inside the right padding
    if (out - 1) * s >= size + p:
        out -= 1
    return max(out, 0)


def _spatial(module: Layer, walk: _Walk, channels: int | None, ceil: bool = False) -> Shape:
    k, s, p, d = (_pair(getattr(module, a, 1)) for a in ("kernel_size", "stride", "padding", "dilation"))
    if len(walk.shape) != 3:
        raise ValueError(f"expects a (C, H, W) input, got {_fmt(walk.shape)}")
    c, h, w = walk.shape
    out = (channels or c, _window_out(h, k[0], s[0], p[0], d[0], ceil), _window_out(w, k[1], s[1], p[1], d[1], ceil))
    walk.rf += (k[0] - 1) * d[0] * walk.jump
    walk.jump *= s[0]
    return out


def _conv(m: Layer, walk: _Walk) -> Shape:
    if walk.shape[0] != m.in_channels:
        raise ValueError(f"expects {m.in_channels} input channels, got {walk.shape[0]}")
    return _spatial(m, walk, m.out_channels)


def _pool(m: Layer, walk: _Walk) -> Shape:
    if m.stride is None:
        m.stride = m.kernel_size
    return _spatial(m, walk, None, ceil=bool(m.ceil_mode))


def _linear(m: Layer, walk: _Walk) -> Shape:
    if walk.shape != (m.in_features,):
        raise ValueError(f"expects {m.in_features} input features, got {_fmt(walk.shape)}")
    return (m.out_features,)


def _flatten(m: Layer, walk: _Walk) -> Shape:
    return (math.prod(walk.shape),)


def _same(m: Layer, walk: _Walk) -> Shape:
    return walk.shape


def class_map_rule(m: Layer, walk: _Walk) -> Shape:
    """A (K, 1, 1) score map becomes K logits; a larger map stays a map."""
    return walk.shape[:1] if walk.shape[1:] == (1, 1) else walk.shape


SHAPE_RULES: dict[str, Callable[[Layer, _Walk], Shape]] = {
    "Conv2d": _conv,
    "MaxPool2d": _pool,
    "AvgPool2d": _pool,
    "Linear": _linear,
    "Flatten": _flatten,
    "ClassMap": class_map_rule,
}
for _kind in ("ReLU", "Tanh", "Sigmoid", "Dropout", "BatchNorm2d", "BatchNorm1d", "Identity"):
    SHAPE_RULES[_kind] = _same
POOLING = ("MaxPool2d", "AvgPool2d")


def kind_of(layer: Layer) -> str:
    """A plan's kind, or a module's class name."""
    return getattr(layer, "kind", None) or type(layer).__name__


def params_of(layer: Layer) -> int:
    """A plan's count, or a module's parameters counted."""
    counted = getattr(layer, "param_count", None)
    return int(counted) if counted is not None else sum(p.numel() for p in layer.parameters())


def named_layers(model: Any) -> list[tuple[str, Layer]]:
    """(name, layer) pairs: a plan's list as it is, a module's named children (or the module itself)."""
    if isinstance(model, list):
        return model
    return list(model.named_children()) or [(type(model).__name__.lower(), model)]


def _fmt(shape: Shape) -> str:
    return "×".join(str(s) for s in shape)


def describe(model: Any, input_shape: Shape) -> LayerTable:
    """One row per top-level layer of ``model`` (a torch module, or a plan's list of (name, LayerSpec))
    for an input of ``input_shape`` (no batch axis).

    Where a layer would produce an empty map, the table stops there and ``error`` names it.
    """
    walk = _Walk(tuple(input_shape))
    rows: list[LayerRow] = []
    for name, module in named_layers(model):
        kind = kind_of(module)
        rule = SHAPE_RULES.get(kind)
        if rule is None:
            return LayerTable(tuple(input_shape), rows, f"{name}: no shape rule for {kind}")
        before = walk.shape
        try:
            out = rule(module, walk)
        except ValueError as exc:
            return LayerTable(tuple(input_shape), rows, f"{name} ({kind}) {exc}")
        spatial = len(out) == 3
        rows.append(LayerRow(name, kind, out, params_of(module), walk.rf if spatial else None, walk.jump if spatial else None))
        walk.shape = out
        if any(s <= 0 for s in out):
            pooling = kind in POOLING
            fixes = "add padding (model.conv_paddings)" + (", set model.pool_ceil=true" if pooling else "")
            error = (
                f"{name} ({kind}) turns a {_fmt(before[1:])} map into {_fmt(out[1:])}: "
                f"the {_fmt(input_shape[1:])} input is too small for this network; {fixes} or use larger images"
            )
            return LayerTable(tuple(input_shape), rows, error)
    return LayerTable(tuple(input_shape), rows)
