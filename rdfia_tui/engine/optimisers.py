"""torch.optim builders, one per optimiser name in the catalog."""

from __future__ import annotations

from collections.abc import Iterable

import torch

from rdfia_tui.engine.catalog import OPTIMISERS
from rdfia_tui.engine.config import OptimConfig


def build_sgd(params: Iterable[torch.Tensor], c: OptimConfig) -> torch.optim.Optimizer:
    """torch.optim.SGD with ``c``'s lr (per step), momentum (Q26-27), Nesterov momentum (as in Sutskever et al. 2013)
    and weight decay (L2, added to the gradient)."""
    return torch.optim.SGD(params, lr=c.lr, momentum=c.momentum, nesterov=c.nesterov, weight_decay=c.weight_decay)


def build_adagrad(params: Iterable[torch.Tensor], c: OptimConfig) -> torch.optim.Optimizer:
    """torch.optim.Adagrad (Duchi et al. 2011) with ``c``'s lr, eps and weight decay (Q28b)."""
    return torch.optim.Adagrad(params, lr=c.lr, weight_decay=c.weight_decay, eps=c.eps)


def build_adadelta(params: Iterable[torch.Tensor], c: OptimConfig) -> torch.optim.Optimizer:
    """torch.optim.Adadelta (Zeiler 2012) with ``c``'s lr (a factor on the update; the paper has none, i.e. 1.0), rho, eps
    and weight decay (Q28b)."""
    return torch.optim.Adadelta(params, lr=c.lr, rho=c.rho, eps=c.eps, weight_decay=c.weight_decay)


def build_rmsprop(params: Iterable[torch.Tensor], c: OptimConfig) -> torch.optim.Optimizer:
    """torch.optim.RMSprop (Tieleman & Hinton 2012, lecture 6.5) with ``c``'s lr, alpha (decay of the squared-gradient
    average), eps, momentum and weight decay (Q28b)."""
    return torch.optim.RMSprop(params, lr=c.lr, alpha=c.alpha, eps=c.eps, momentum=c.momentum, weight_decay=c.weight_decay)


def build_adam(params: Iterable[torch.Tensor], c: OptimConfig) -> torch.optim.Optimizer:
    """torch.optim.Adam (Kingma & Ba 2015) with ``c``'s lr, betas (beta1, beta2), eps and weight decay (L2 added to the
    gradient, not AdamW's decoupled decay) (Q28b)."""
    return torch.optim.Adam(params, lr=c.lr, betas=(c.beta1, c.beta2), eps=c.eps, weight_decay=c.weight_decay)


def build_optimiser(params: Iterable[torch.Tensor], c: OptimConfig) -> torch.optim.Optimizer:
    """The optimiser named by ``c.name``."""
    return OPTIMISERS.get(c.name)(params, c)


def set_lr(optimiser: torch.optim.Optimizer, lr: float) -> None:
    """Set the learning rate (per step) of every param group to ``lr``; HandSGD's ``param_groups`` too."""
    for group in optimiser.param_groups:
        group["lr"] = lr
