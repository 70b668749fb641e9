"""The labs 6-7 CNN; the defaults are exactly the course's network (231,170 parameters)."""

from __future__ import annotations

from collections import OrderedDict

from torch import nn

from rdfia_tui.engine.config import ModelConfig
from rdfia_tui.engine.errors import ArchitectureError
from rdfia_tui.engine.layers import describe

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
    return nn.Sequential(layers)
