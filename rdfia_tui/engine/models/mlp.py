"""The labs 4-5 multilayer perceptron."""

from __future__ import annotations

from torch import nn

from rdfia_tui.engine.config import ModelConfig
from rdfia_tui.engine.layer_plan import plan_mlp
from rdfia_tui.engine.models.modules import build_sequential


def build_mlp(cfg: ModelConfig, input_shape: tuple[int, ...], n_classes: int) -> nn.Sequential:
    """flatten → (fc → activation) per hidden size → fc to the classes (layer_plan.plan_mlp)."""
    return build_sequential(plan_mlp(cfg, input_shape, n_classes))
