"""The exact speed-ups, each timed against the course's form in the same run: max-pool before ReLU, in-place ReLU,
and the evaluation batch size.

    python benchmarks/exact_speedups.py --preset cifar10-convnet --preset cifar10-fast --repeats 5

Training: one SGD step (forward, backward, update) on a fixed batch in the engine's layout (channels_last) and each
precision, for three forms of the same network with the same weights, alternated ``--repeats`` times:
``relu→pool`` (the course's order, out-of-place ReLU), ``pool→relu`` (the swap alone) and ``pool→relu, in-place``
(what the engine builds). Evaluation: inference images/s at each ``--eval-batch``, in the same layout.
"""

from __future__ import annotations

import argparse
import copy
import statistics
from collections import OrderedDict

import torch
import torch.nn.functional as F
from common import emit, machine, run_main, spread
from roofline import DTYPES, timed
from torch import nn

from rdfia_tui.engine.models import build_model
from rdfia_tui.engine.presets import load_preset
from rdfia_tui.engine.speed import cpu_has_native_bf16


def reordered(model: nn.Sequential, course_order: bool, inplace: bool) -> nn.Sequential:
    """The same layers (weights shared), ReLU before or after each max-pool, in place or not."""
    out: list[tuple[str, nn.Module]] = []
    for name, layer in model.named_children():
        layer = nn.ReLU(inplace=inplace) if isinstance(layer, nn.ReLU) else layer
        if course_order and isinstance(layer, nn.ReLU) and out and isinstance(out[-1][1], nn.MaxPool2d):
            out.insert(len(out) - 1, (name, layer))
        else:
            out.append((name, layer))
    return nn.Sequential(OrderedDict(out))


def train_step(model: nn.Module, x: torch.Tensor, y: torch.Tensor, autocast: torch.dtype | None):
    optimiser = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)

    def step() -> None:
        with torch.autocast(x.device.type, dtype=autocast, enabled=autocast is not None):
            loss = F.cross_entropy(model(x).float(), y)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()

    return step


def forms(preset: str, device: torch.device) -> dict[str, nn.Module]:
    torch.manual_seed(0)
    engine = build_model(load_preset(preset).model, (3, 32, 32), 10).to(device).to(memory_format=torch.channels_last)
    return {
        "relu→pool": reordered(copy.deepcopy(engine), course_order=True, inplace=False),
        "pool→relu": reordered(copy.deepcopy(engine), course_order=False, inplace=False),
        "pool→relu, in-place": engine,
    }


def training(preset: str, device: torch.device, precision: str, repeats: int, seconds: float) -> dict[str, object]:
    batch = load_preset(preset).train.batch_size
    x = torch.randn(batch, 3, 32, 32, device=device).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (batch,), device=device)
    steps = {name: train_step(m, x, y, DTYPES[precision]) for name, m in forms(preset, device).items()}
    rates: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            rates[name].append(batch / timed(step, device, seconds))
    base = statistics.median(rates["relu→pool"])
    return {name: {**spread(r), "vs_course_order": statistics.median(r) / base} for name, r in rates.items()}


def evaluation(preset: str, device: torch.device, precision: str, batches: list[int], seconds: float) -> dict[int, float]:
    model = forms(preset, device)["pool→relu, in-place"].eval()
    autocast = DTYPES[precision]
    out = {}
    for b in batches:
        x = torch.randn(b, 3, 32, 32, device=device).contiguous(memory_format=torch.channels_last)

        @torch.inference_mode()
        def forward(x: torch.Tensor = x) -> None:
            with torch.autocast(device.type, dtype=autocast, enabled=autocast is not None):
                model(x)

        out[b] = b / timed(forward, device, seconds)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--preset", action="append", help="networks (default: cifar10-convnet)")
    parser.add_argument("--precision", action="append", choices=sorted(DTYPES), help="default: fp32, and bf16 where native")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2.0, help="time spent on each timed call")
    parser.add_argument("--eval-batch", type=int, nargs="+", default=[250, 1000, 2500, 5000])
    parser.add_argument("--out")
    args = parser.parse_args()
    device = torch.device(args.device)
    precisions = args.precision or (["fp32", "bf16"] if device.type == "cuda" or cpu_has_native_bf16() else ["fp32"])
    results = {
        preset: {
            p: {
                "training_images_per_s": training(preset, device, p, args.repeats, args.seconds),
                "eval_images_per_s": evaluation(preset, device, p, args.eval_batch, args.seconds),
            }
            for p in precisions
        }
        for preset in (args.preset or ["cifar10-convnet"])
    }
    emit({"machine": machine(), "results": results}, args.out)


if __name__ == "__main__":
    run_main(main)
