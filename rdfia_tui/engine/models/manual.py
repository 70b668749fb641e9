"""The labs 4-5 MLP three ways: torch.nn + torch.optim, autograd on raw tensors, and by hand.

All three read and update the same parameter tensors (those of the nn.Sequential the
model registry builds), so they start from the same weights, share the layer table and
are evaluated by the same code. Each hand-written backward sits beside its forward.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from rdfia_tui.engine.config import OptimConfig

Tensor = torch.Tensor


# ---- activations: forward h = f(h̃), and ∂h/∂h̃ written from h (and h̃ for relu) ------------
@dataclass(frozen=True)
class Activation:
    """An activation's forward h = f(h̃) and its derivative ∂h/∂h̃ from (h, h̃): tanh 1 − h² (the seed's Q15-17),
    sigmoid h(1 − h), relu 1[h̃ > 0]."""

    forward: Callable[[Tensor], Tensor]
    derivative: Callable[[Tensor, Tensor], Tensor]  # (h, h̃) -> ∂h/∂h̃


ACTIVATIONS: dict[str, Activation] = {
    "tanh": Activation(torch.tanh, lambda h, pre: 1 - h * h),  # the seed's (1 − h²)
    "sigmoid": Activation(torch.sigmoid, lambda h, pre: h * (1 - h)),
    "relu": Activation(torch.relu, lambda h, pre: (pre > 0).to(h.dtype)),
}


def linear_layers(model: nn.Sequential) -> list[tuple[nn.Linear, str | None]]:
    """Each Linear layer of an MLP with the name of the activation after it (None for the last)."""
    layers = list(model.children())
    out = []
    for i, layer in enumerate(layers):
        if isinstance(layer, nn.Linear):
            following = layers[i + 1] if i + 1 < len(layers) else None
            name = type(following).__name__.lower() if following is not None and not isinstance(following, nn.Linear) else None
            out.append((layer, name))
    return out


# ---- forward and backward by hand ---------------------------------------------------------
@dataclass
class ForwardCache:
    """What manual_backward needs from the forward pass: each linear layer's input (B, in), and each hidden layer's
    h̃ and h (B, width)."""

    inputs: list[Tensor]  # the input of each linear layer
    pre: list[Tensor]  # h̃ = x Wᵀ + b of each hidden layer
    post: list[Tensor]  # h = f(h̃) of each hidden layer


def manual_forward(model: nn.Sequential, x: Tensor) -> tuple[Tensor, ForwardCache]:
    """h̃ = W x + b, h = f(h̃) layer by layer (rows are examples); returns the logits ỹ."""
    cache = ForwardCache([], [], [])
    a = x.flatten(1)
    for linear, act in linear_layers(model):
        cache.inputs.append(a)
        z = a @ linear.weight.T + linear.bias
        if act is None:
            return z, cache
        a = ACTIVATIONS[act].forward(z)
        cache.pre.append(z)
        cache.post.append(a)
    raise ValueError("an MLP ends with a Linear layer")


def manual_backward(model: nn.Sequential, cache: ForwardCache, grad_logits: Tensor) -> list[tuple[Tensor, Tensor]]:
    """∇W = ∇h̃ᵀ x, ∇b = Σ ∇h̃, ∇x = ∇h̃ W, ∇h̃ = ∇h ⊙ f'(h̃), from the last layer back (Q15-17)."""
    layers = linear_layers(model)
    grads: list[tuple[Tensor, Tensor]] = []
    dz = grad_logits
    for index in range(len(layers) - 1, -1, -1):
        linear, _ = layers[index]
        grads.append((dz.T @ cache.inputs[index], dz.sum(dim=0)))
        if index > 0:
            _, act = layers[index - 1]
            da = dz @ linear.weight
            dz = da * ACTIVATIONS[act].derivative(cache.post[index - 1], cache.pre[index - 1])
    return grads[::-1]


# ---- losses with their gradients ∂L/∂ỹ (batch mean) ---------------------------------------
def cross_entropy_with_grad(logits: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
    """L = −mean log ŷ[y] with ŷ = softmax(ỹ); ∇ỹ = (ŷ − y)/B."""
    log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    onehot = F.one_hot(target, logits.shape[1]).to(logits.dtype)
    loss = -(log_probs * onehot).sum(dim=1).mean()
    return loss, (log_probs.exp() - onehot) / logits.shape[0]


def mse_with_grad(logits: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
    """L = mean ‖ŷ − y‖²; ∇ŷ = 2(ŷ − y)/B, then through softmax: ∇ỹ = ŷ ⊙ (∇ŷ − ⟨∇ŷ, ŷ⟩)."""
    probs = torch.softmax(logits, dim=1)
    onehot = F.one_hot(target, logits.shape[1]).to(logits.dtype)
    diff = probs - onehot
    loss = diff.pow(2).sum(dim=1).mean()
    grad_probs = 2 * diff / logits.shape[0]
    return loss, probs * (grad_probs - (grad_probs * probs).sum(dim=1, keepdim=True))


LOSS_GRADS: dict[str, Callable[[Tensor, Tensor], tuple[Tensor, Tensor]]] = {
    "cross_entropy": cross_entropy_with_grad,
    "mse": mse_with_grad,
}


# ---- a hand-written SGD ---------------------------------------------------------------------
class HandSGD:
    """p ← p − lr·(g + wd·p), with torch.optim.SGD's momentum (v ← m·v + g); param_groups like torch's."""

    def __init__(self, params: list[Tensor], cfg: OptimConfig) -> None:
        self.params = params
        self.momentum = cfg.momentum
        self.weight_decay = cfg.weight_decay
        self.param_groups = [{"lr": cfg.lr}]
        self.velocity: list[Tensor | None] = [None] * len(params)

    @torch.no_grad()
    def apply(self, grads: list[Tensor]) -> None:
        """One update from ``grads`` (one per parameter, same shapes): g ← g + wd·p; with momentum v ← m·v + g (v = g at
        the first step) and g ← v; then p ← p − lr·g, with lr per step from ``param_groups[0]``."""
        lr = self.param_groups[0]["lr"]
        for i, (p, g) in enumerate(zip(self.params, grads, strict=True)):
            if self.weight_decay:
                g = g + self.weight_decay * p
            if self.momentum:
                v = self.velocity[i]
                self.velocity[i] = v = g.clone() if v is None else v.mul_(self.momentum).add_(g)
                g = v
            p.sub_(lr * g)

    def state_dict(self) -> dict:
        """The learning rate and the momentum buffers, for checkpoints."""
        return {"lr": self.param_groups[0]["lr"], "velocity": self.velocity}

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` saved."""
        self.param_groups[0]["lr"] = state["lr"]
        self.velocity = list(state["velocity"])


def flat_params(model: nn.Sequential) -> list[Tensor]:
    """Each Linear layer's weight (out, in) and bias (out,), in layer order: what the hand-written steps update."""
    return [t for linear, _ in linear_layers(model) for t in (linear.weight, linear.bias)]


def gradients_compared(model: nn.Sequential, x: Tensor, y: Tensor, loss_name: str) -> list[tuple[str, float, float]]:
    """(parameter, max |manual − autograd|, max relative difference) on one batch."""
    from rdfia_tui.engine.catalog import LOSSES

    model.zero_grad(set_to_none=True)
    LOSSES.get(loss_name)(model(x), y).backward()
    with torch.no_grad():
        logits, cache = manual_forward(model, x)
        _, grad_logits = LOSS_GRADS[loss_name](logits, y)
        manual = [g for pair in manual_backward(model, cache, grad_logits) for g in pair]
    names = [f"{name}.{kind}" for name, module in model.named_children() if isinstance(module, nn.Linear) for kind in ("weight", "bias")]
    rows = []
    for name, p, g in zip(names, flat_params(model), manual, strict=True):
        diff = (g - p.grad).abs().max().item()
        scale = p.grad.abs().max().item()
        rows.append((name, diff, diff / scale if scale > 0 else diff))
    model.zero_grad(set_to_none=True)
    return rows
