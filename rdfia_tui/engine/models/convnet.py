"""The labs 6-7 CNN; the defaults are exactly the course's network (231,170 parameters)."""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from rdfia_tui.engine.config import ModelConfig
from rdfia_tui.engine.errors import ArchitectureError
from rdfia_tui.engine.layers import class_map_rule, describe, register_shape_rule

_POOLS = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}


def build_convnet(cfg: ModelConfig, input_shape: tuple[int, ...], n_classes: int) -> nn.Sequential:
    """(conv → [bn] → relu → pool) per conv, then ([dropout] → fc → relu) per fc, [dropout] → fc."""
    if len(input_shape) != 3:
        raise ArchitectureError(f"the convnet needs image input (C, H, W), got features of shape {input_shape}; use model.arch=mlp")
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    channels = input_shape[0]
    for i, (width, k, p) in enumerate(zip(cfg.conv_channels, cfg.conv_kernels, cfg.conv_paddings, strict=True), start=1):
        layers[f"conv{i}"] = nn.Conv2d(channels, width, kernel_size=k, padding=p)
        if cfg.batch_norm:
            layers[f"bn{i}"] = nn.BatchNorm2d(width)
        layers[f"relu{i}"] = nn.ReLU()
        if cfg.pool_size > 1:
            layers[f"pool{i}"] = _POOLS[cfg.pool](cfg.pool_size, stride=cfg.pool_size, ceil_mode=cfg.pool_ceil)
        channels = width
    features = nn.Sequential(layers)
    table = describe(features, input_shape)
    if table.error:
        raise ArchitectureError(table.error, table)
    layers["flatten"] = nn.Flatten()
    c, h, w = table.output_shape
    width, index = c * h * w, len(cfg.conv_channels) + 1
    for size in cfg.fc:
        if cfg.dropout > 0:
            layers[f"dropout{index}"] = nn.Dropout(cfg.dropout)
        layers[f"fc{index}"] = nn.Linear(width, size)
        layers[f"relu{index}"] = nn.ReLU()
        width, index = size, index + 1
    if cfg.dropout > 0:
        layers[f"dropout{index}"] = nn.Dropout(cfg.dropout)
    layers[f"fc{index}"] = nn.Linear(width, n_classes)
    model = nn.Sequential(layers)
    return to_fully_conv(model, (c, h, w)) if cfg.fully_conv else model


class ClassMap(nn.Module):
    """The end of a fully-convolutional net: (N, K, 1, 1) becomes logits (N, K); a larger map stays a map."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
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


register_shape_rule(ClassMap, class_map_rule)
