"""The labs 4-5 multilayer perceptron."""

from __future__ import annotations

import math
from collections import OrderedDict

from torch import nn

from rdfia_tui.engine.catalog import ACTIVATIONS
from rdfia_tui.engine.config import ModelConfig


def build_mlp(cfg: ModelConfig, input_shape: tuple[int, ...], n_classes: int) -> nn.Sequential:
    """flatten → (fc → activation) per hidden size → fc to the classes."""
    layers: OrderedDict[str, nn.Module] = OrderedDict(flatten=nn.Flatten())
    width = math.prod(input_shape)
    activation = ACTIVATIONS.get(cfg.activation)
    for i, size in enumerate(cfg.hidden, start=1):
        layers[f"fc{i}"] = nn.Linear(width, size)
        layers[f"{cfg.activation}{i}"] = activation()
        width = size
    layers[f"fc{len(cfg.hidden) + 1}"] = nn.Linear(width, n_classes)
    return nn.Sequential(layers)
