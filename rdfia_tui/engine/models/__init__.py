"""Model builders: every model is a flat nn.Sequential with named layers."""

from __future__ import annotations

from torch import nn

from rdfia_tui.engine.catalog import MODELS
from rdfia_tui.engine.config import ModelConfig


def build_model(cfg: ModelConfig, input_shape: tuple[int, ...], n_classes: int) -> nn.Sequential:
    """The network named by ``cfg.arch`` for inputs of ``input_shape`` and ``n_classes`` outputs."""
    return MODELS.get(cfg.arch)(cfg, input_shape, n_classes)
