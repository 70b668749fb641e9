"""Torch modules from layer plans: one constructor per layer kind."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from torch import nn

from rdfia_tui.engine.layer_plan import LayerSpec, Plan
from rdfia_tui.engine.registry import Registry

MODULES: Registry[Callable[[LayerSpec], nn.Module]] = Registry("layer kind")
MODULES.register("Flatten", lambda s: nn.Flatten())
MODULES.register("Linear", lambda s: nn.Linear(s.in_features, s.out_features))
MODULES.register("Conv2d", lambda s: nn.Conv2d(s.in_channels, s.out_channels, kernel_size=s.kernel_size, padding=s.padding))
MODULES.register("BatchNorm2d", lambda s: nn.BatchNorm2d(s.param_count // 2))
MODULES.register("MaxPool2d", lambda s: nn.MaxPool2d(s.kernel_size, stride=s.stride, ceil_mode=s.ceil_mode))
MODULES.register("AvgPool2d", lambda s: nn.AvgPool2d(s.kernel_size, stride=s.stride, ceil_mode=s.ceil_mode))
MODULES.register("Dropout", lambda s: nn.Dropout(s.p))
for _kind in ("ReLU", "Tanh", "Sigmoid"):
    MODULES.register(_kind, lambda s, kind=_kind: getattr(nn, kind)())


def build_sequential(plan: Plan) -> nn.Sequential:
    """The plan's layers as torch modules, created in the plan's order (so their initial weights are too)."""
    return nn.Sequential(OrderedDict((name, MODULES.get(spec.kind)(spec)) for name, spec in plan))
