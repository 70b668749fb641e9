"""Per-step time of the three MLP implementations (module, autograd, manual) of labs 4-5.

    python benchmarks/mlp_step.py --steps 300 --repeats 5

Two sizes: the circles net (2-4-2 tanh, batch 10, as in circles-mlp) and MNIST (784-100-10 tanh,
batch 32, as in mnist-mlp). Inputs are random tensors of those shapes; what is timed is one
training step (forward, backward, SGD update) through the engine's own step functions.
"""

from __future__ import annotations

import argparse
import time

import torch
from common import emit, machine, run_main, spread

from rdfia_tui.engine.catalog import LOSSES
from rdfia_tui.engine.config import apply_overrides
from rdfia_tui.engine.models import build_model
from rdfia_tui.engine.presets import load_preset
from rdfia_tui.engine.steps import build_step

SIZES = {"circles": ("circles-mlp", (2,), 2), "mnist": ("mnist-mlp", (1, 28, 28), 10)}


def time_steps(preset: str, shape: tuple[int, ...], classes: int, impl: str, steps: int) -> float:
    """Microseconds per training step, after a warm-up."""
    cfg = apply_overrides(load_preset(preset), [f"model.impl={impl}"])
    torch.manual_seed(0)
    model = build_model(cfg.model, shape, classes)
    step, _ = build_step(impl, model, cfg.optim, cfg.train.loss, LOSSES.get(cfg.train.loss))
    batch = cfg.train.batch_size
    x, y = torch.randn(batch, *shape), torch.randint(0, classes, (batch,))
    for _ in range(20):
        step(x, y)
    start = time.perf_counter()
    for _ in range(steps):
        step(x, y)
    return (time.perf_counter() - start) / steps * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    results: dict[str, dict[str, object]] = {}
    for size, (preset, shape, classes) in SIZES.items():
        runs: dict[str, list[float]] = {impl: [] for impl in ("module", "autograd", "manual")}
        for _ in range(args.repeats):  # alternate the implementations
            for impl in runs:
                runs[impl].append(time_steps(preset, shape, classes, impl, args.steps))
        module = spread(runs["module"])["median"]
        results[size] = {
            "preset": preset,
            "us_per_step": {impl: spread(values) for impl, values in runs.items()},
            "relative_to_module": {impl: spread(values)["median"] / module for impl, values in runs.items()},
        }
    emit({"benchmark": "mlp_step", "machine": machine(), "results": results}, args.out)


if __name__ == "__main__":
    run_main(main)
