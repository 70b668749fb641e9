"""torch.optim builders, one per optimiser name in the catalog."""

from __future__ import annotations

from collections.abc import Iterable

import torch

from rdfia_tui.engine.catalog import OPTIMISERS
from rdfia_tui.engine.config import OptimConfig


def build_sgd(params: Iterable[torch.Tensor], c: OptimConfig) -> torch.optim.Optimizer:
    return torch.optim.SGD(params, lr=c.lr, momentum=c.momentum, nesterov=c.nesterov, weight_decay=c.weight_decay)


def build_adagrad(params: Iterable[torch.Tensor], c: OptimConfig) -> torch.optim.Optimizer:
    return torch.optim.Adagrad(params, lr=c.lr, weight_decay=c.weight_decay, eps=c.eps)


def build_adadelta(params: Iterable[torch.Tensor], c: OptimConfig) -> torch.optim.Optimizer:
    return torch.optim.Adadelta(params, lr=c.lr, rho=c.rho, eps=c.eps, weight_decay=c.weight_decay)


def build_rmsprop(params: Iterable[torch.Tensor], c: OptimConfig) -> torch.optim.Optimizer:
    return torch.optim.RMSprop(params, lr=c.lr, alpha=c.alpha, eps=c.eps, momentum=c.momentum, weight_decay=c.weight_decay)


def build_adam(params: Iterable[torch.Tensor], c: OptimConfig) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=c.lr, betas=(c.beta1, c.beta2), eps=c.eps, weight_decay=c.weight_decay)


def build_optimiser(params: Iterable[torch.Tensor], c: OptimConfig) -> torch.optim.Optimizer:
    """The optimiser named by ``c.name``."""
    return OPTIMISERS.get(c.name)(params, c)


def set_lr(optimiser: torch.optim.Optimizer, lr: float) -> None:
    for group in optimiser.param_groups:
        group["lr"] = lr
