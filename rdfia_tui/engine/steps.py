"""One training step, three ways (torch.nn + torch.optim, autograd on raw tensors, by hand), the step
registry that ``model.impl`` names, and the max-norm wrapper.

A step takes a batch ``x`` (B×…) and labels ``y`` (B,) and returns the batch's mean loss (a 0-d tensor,
left on the device: no sync) and the logits (B×K), both detached.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from rdfia_tui.engine.config import OptimConfig
from rdfia_tui.engine.models.manual import ACTIVATIONS, LOSS_GRADS, HandSGD, flat_params, linear_layers, manual_backward, manual_forward
from rdfia_tui.engine.registry import Registry

Tensor = torch.Tensor
Step = Callable[[Tensor, Tensor], tuple[Tensor, Tensor]]


class ModuleStep:
    """torch.nn + torch.optim: what the rest of the course uses."""

    def __init__(self, model: nn.Module, optimiser: torch.optim.Optimizer, loss_fn: Callable[[Tensor, Tensor], Tensor]) -> None:
        self.model, self.optimiser, self.loss_fn = model, optimiser, loss_fn
        self.update: Callable[[], object] = optimiser.step

    def run_eagerly(self) -> None:
        """Nothing is compiled: update without torch.optim's per-step import of torch._dynamo (engine.eager)."""
        from rdfia_tui.engine.eager import bare_step

        self.update = bare_step(self.optimiser)

    def __call__(self, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        logits = self.model(x)
        loss = self.loss_fn(logits, y)
        self.optimiser.zero_grad(set_to_none=True)
        loss.backward()
        self.update()
        return loss.detach(), logits.detach()


class AutogradStep:
    """The forward pass on raw tensors, loss.backward(), and a hand-written update under no_grad."""

    def __init__(self, model: nn.Sequential, optimiser: HandSGD, loss_fn: Callable[[Tensor, Tensor], Tensor]) -> None:
        self.model, self.optimiser, self.loss_fn = model, optimiser, loss_fn

    def __call__(self, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        a = x.flatten(1)
        for linear, act in linear_layers(self.model):
            a = a @ linear.weight.T + linear.bias
            if act is not None:
                a = ACTIVATIONS[act].forward(a)
        loss = self.loss_fn(a, y)
        params = self.optimiser.params
        for p in params:
            p.grad = None
        loss.backward()
        self.optimiser.apply([p.grad for p in params])
        return loss.detach(), a.detach()


class ManualStep:
    """No autograd at all: forward, gradients and update are all written out."""

    def __init__(self, model: nn.Sequential, optimiser: HandSGD, loss_name: str) -> None:
        self.model, self.optimiser, self.loss_grad = model, optimiser, LOSS_GRADS[loss_name]

    @torch.no_grad()
    def __call__(self, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        logits, cache = manual_forward(self.model, x)
        loss, grad_logits = self.loss_grad(logits, y)
        grads = manual_backward(self.model, cache, grad_logits)
        self.optimiser.apply([g for pair in grads for g in pair])
        return loss, logits


StepBuilder = Callable[[nn.Module, OptimConfig, str, Callable[[Tensor, Tensor], Tensor]], tuple[Step, object]]
STEPS: Registry[StepBuilder] = Registry("model.impl")


@STEPS.register("module")
def _module_step(model: nn.Module, cfg: OptimConfig, loss_name: str, loss_fn: Callable) -> tuple[Step, object]:
    from rdfia_tui.engine.optimisers import build_optimiser

    optimiser = build_optimiser(model.parameters(), cfg)
    return ModuleStep(model, optimiser, loss_fn), optimiser


@STEPS.register("autograd")
def _autograd_step(model: nn.Module, cfg: OptimConfig, loss_name: str, loss_fn: Callable) -> tuple[Step, object]:
    optimiser = HandSGD(flat_params(model), cfg)
    return AutogradStep(model, optimiser, loss_fn), optimiser


@STEPS.register("manual")
def _manual_step(model: nn.Module, cfg: OptimConfig, loss_name: str, loss_fn: Callable) -> tuple[Step, object]:
    optimiser = HandSGD(flat_params(model), cfg)
    return ManualStep(model, optimiser, loss_name), optimiser


def build_step(impl: str, model: nn.Module, cfg: OptimConfig, loss_name: str, loss_fn: Callable) -> tuple[Step, object]:
    """The training step for ``model.impl`` and the object holding its learning rate, per step (param_groups).

    The step maps x (B, …) and y (B,) to (mean loss, 0-d; logits (B, K)). Raises KeyError for an unknown
    ``impl`` (validation refuses one first).
    """
    return STEPS.get(impl)(model, cfg, loss_name, loss_fn)




class MaxNormStep:
    """After each step, rescale every unit's incoming weight vector to an L2 norm of at most ``limit`` (Q32;
    Srivastava et al. 2014, "Dropout", section 5.1)."""

    def __init__(self, step: Step, model: nn.Module, limit: float) -> None:
        self.step, self.limit = step, limit
        self.weights = [m.weight for m in model.modules() if isinstance(m, nn.Linear | nn.Conv2d)]

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.step(x, y)
        with torch.no_grad():
            for w in self.weights:
                w.copy_(torch.renorm(w, p=2, dim=0, maxnorm=self.limit))
        return out
