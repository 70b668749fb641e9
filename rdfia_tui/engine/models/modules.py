"""Torch modules from layer plans: one constructor per layer kind."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

import torch
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
# In place: in these plans a ReLU follows a conv, batch-norm, pool or linear layer, none of whose backward passes
# reads its output, so autograd allows it and one activation buffer per layer is saved.
MODULES.register("ReLU", lambda s: nn.ReLU(inplace=True))
for _kind in ("Tanh", "Sigmoid"):
    MODULES.register(_kind, lambda s, kind=_kind: getattr(nn, kind)())


def build_sequential(plan: Plan) -> nn.Sequential:
    """The plan's layers as torch modules, created in the plan's order (so their initial weights are too)."""
    return nn.Sequential(OrderedDict((name, MODULES.get(spec.kind)(spec)) for name, spec in plan))


class FlipAveraged(nn.Module):
    """Test-time flip augmentation: in eval mode the logits are the mean of the network's logits for each image and
    its left-right mirror (one forward pass over both); in training mode the network is used as it is."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (N, C, H, W) → logits (N, K)."""
        if self.training:
            return self.inner(x)
        both = self.inner(torch.cat([x, x.flip(-1)]))
        return (both[: len(x)] + both[len(x) :]) / 2
