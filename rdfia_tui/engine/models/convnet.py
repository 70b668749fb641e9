"""The labs 6-7 CNN; the defaults are exactly the course's network (231,170 parameters)."""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from rdfia_tui.engine.config import ModelConfig
from rdfia_tui.engine.layer_plan import plan_convnet, plan_features
from rdfia_tui.engine.layers import describe
from rdfia_tui.engine.models.modules import build_sequential


def build_convnet(cfg: ModelConfig, input_shape: tuple[int, ...], n_classes: int) -> nn.Sequential:
    """(conv → [bn] → max-pool → relu, or → relu → avg-pool) per conv, then ([dropout] → fc → relu) per fc, [dropout] → fc
    (layer_plan.plan_convnet).

    Raises ArchitectureError, with the layer table up to the failing layer, when the input is too small.
    """
    model = build_sequential(plan_convnet(cfg, input_shape, n_classes))
    if not cfg.fully_conv:
        return model
    features = describe(plan_features(cfg, input_shape), input_shape)
    return to_fully_conv(model, features.output_shape)


class ClassMap(nn.Module):
    """The end of a fully-convolutional net: (N, K, 1, 1) becomes logits (N, K); a larger map stays a map."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (N, K, 1, 1) → logits (N, K); on larger images a map (N, K, H', W') is returned as it is."""
        return x.flatten(1) if x.shape[-2:] == (1, 1) else x


def to_fully_conv(model: nn.Sequential, feature_shape: tuple[int, int, int]) -> nn.Sequential:
    """The same network with each Linear rewritten as a convolution carrying the same weights (Q4-6).

    The first fc becomes a conv whose kernel covers the whole feature map it used to flatten;
    the next ones become 1×1 convs. On the training size the logits are unchanged; a larger
    image gives a spatial map of class scores.
    """
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    _, h, w = feature_shape
    first = True
    for name, layer in model.named_children():
        if isinstance(layer, nn.Flatten):
            continue
        if isinstance(layer, nn.Linear):
            kernel = (h, w) if first else (1, 1)
            conv = nn.Conv2d(layer.in_features // (kernel[0] * kernel[1]), layer.out_features, kernel)
            with torch.no_grad():
                conv.weight.copy_(layer.weight.reshape(conv.weight.shape))
                conv.bias.copy_(layer.bias)
            layers[name] = conv
            first = False
        elif isinstance(layer, nn.Dropout):
            layers[name] = nn.Dropout(layer.p)  # elementwise, as before the rewrite
        else:
            layers[name] = layer
    layers["scores"] = ClassMap()
    return nn.Sequential(layers)
