"""Eager runs without torch._dynamo: 1.3 s of start-up (measured: docs/benchmarks.md) that a run
which compiles nothing never uses.

torch.optim imports ``torch._dynamo`` (and with it sympy and inductor) in two places, only to
mark code that compiled graphs must not trace:

- ``add_param_group``, ``zero_grad``, ``state_dict`` and ``load_state_dict`` are wrapped with
  ``torch._disable_dynamo``, which imports it on first call: :func:`skip_dynamo_import` hands each
  wrapper its own plain function as the cached "disabled" one (:func:`restore_dynamo_guards`
  takes that back before a run that compiles);
- every optimiser's ``step`` is wrapped to set the grad mode and insert graph breaks, importing it on
  every call: :func:`bare_step` calls the optimiser's own update under ``torch.no_grad()``, which
  is what that wrapper does outside compiled code.

Both fall back to torch's own methods when the wrappers are not the ones recognised here.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator

import torch
from torch.optim.optimizer import _use_grad_for_differentiable

CACHE = "__dynamo_disable"  # the attribute torch._compile._disable_dynamo caches its wrapper under


def _wrapped_methods() -> Iterator[Callable]:
    probe = torch._disable_dynamo(lambda: None)
    for attr in vars(torch.optim.Optimizer).values():
        fn = getattr(attr, "__wrapped__", None)
        if fn is not None and getattr(attr, "__code__", None) is probe.__code__:
            yield fn


def skip_dynamo_import() -> None:
    """For an eager run: the optimiser's methods no longer import torch._dynamo (a no-op once it is loaded)."""
    if "torch._dynamo" in sys.modules:
        return
    for fn in _wrapped_methods():
        if not hasattr(fn, CACHE):
            setattr(fn, CACHE, fn)


def restore_dynamo_guards() -> None:
    """For a run that compiles: the methods import torch._dynamo and disable tracing again, as torch intends."""
    for fn in _wrapped_methods():
        if getattr(fn, CACHE, None) is fn:
            delattr(fn, CACHE)


def bare_step(optimiser: torch.optim.Optimizer) -> Callable[[], object]:
    """``optimiser.step`` without its per-call ``import torch._dynamo``: the same update, under no_grad.

    Skips torch's profiler label and step hooks (this engine registers none); a differentiable
    optimiser, or a step wrapped in an unrecognised way, keeps ``optimiser.step``.
    """
    grad_mode = _use_grad_for_differentiable(lambda self: None).__code__
    method = type(optimiser).step
    while hasattr(method, "__wrapped__") and getattr(method, "__code__", None) is not grad_mode:
        method = method.__wrapped__  # the profiler's wrapper, added on the class by Optimizer.__init__
    update = getattr(method, "__wrapped__", None)
    if getattr(method, "__code__", None) is not grad_mode or update is None or optimiser.defaults.get("differentiable"):
        return optimiser.step

    def step() -> object:
        with torch.no_grad():
            return update(optimiser)

    return step
