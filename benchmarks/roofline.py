"""How close training runs to the hardware's peak: a large matmul, the bare network, and the engine's loop, in FLOP/s.

    python benchmarks/roofline.py --device cpu --precision fp32 --precision bf16
    python benchmarks/roofline.py --device cuda --precision bf16 --preset cifar10-convnet --preset cifar10-fast

For each precision, in one run:
- peak: an n×n @ n×n matmul (2n³ FLOP), the operation that dominates convolutions once they are lowered to GEMMs;
- bare: the preset's network, forward + backward + SGD step on one batch held in memory, in the engine's layout
  (channels_last) and autocast; FLOP counted by ``torch.utils.flop_counter.FlopCounterMode`` on that very step;
- engine: ``fit`` on the real training split (crop/flip on the device, shuffling, progress reports), its training
  phase's images/s times the counted FLOP per image.
The fractions engine/bare and bare/peak say where the time goes. bf16 is measured only where it is native (CUDA, or a
CPU with AVX512-BF16/AMX); elsewhere it is emulated and slower than fp32 (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import torch
import torch.nn.functional as F
from common import data_root, emit, machine, run_main
from torch.utils.flop_counter import FlopCounterMode

from rdfia_tui.engine.config import apply_overrides
from rdfia_tui.engine.events import EpochEnded
from rdfia_tui.engine.models import build_model
from rdfia_tui.engine.presets import load_preset
from rdfia_tui.engine.speed import cpu_has_native_bf16
from rdfia_tui.engine.training import fit

DTYPES = {"fp32": None, "bf16": torch.bfloat16}


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn, device: torch.device, seconds: float) -> float:
    """Median seconds of one call of ``fn`` over about ``seconds`` of calls, after two warm-up calls."""
    for _ in range(2):
        fn()
    sync(device)
    times: list[float] = []
    budget = time.perf_counter() + seconds
    while time.perf_counter() < budget or len(times) < 5:
        start = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_matmul(device: torch.device, precision: str, n: int, seconds: float) -> dict[str, float]:
    """FLOP/s of an n×n by n×n matmul in ``precision`` (2n³ FLOP per product)."""
    dtype = DTYPES[precision] or torch.float32
    a, b = torch.randn(n, n, device=device, dtype=dtype), torch.randn(n, n, device=device, dtype=dtype)
    s = timed(lambda: a @ b, device, seconds)
    return {"n": n, "seconds": s, "flop_per_s": 2 * n**3 / s}


def network_step(preset: str, device: torch.device, precision: str, batch: int):
    """The preset's network in the engine's layout, one SGD step on a fixed batch, and that step's FLOP per image."""
    cfg = load_preset(preset)
    model = build_model(cfg.model, (3, 32, 32), 10).to(device).to(memory_format=torch.channels_last)
    optimiser = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(batch, 3, 32, 32, device=device).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (batch,), device=device)
    autocast = DTYPES[precision]

    def step() -> None:
        with torch.autocast(device.type, dtype=autocast, enabled=autocast is not None):
            loss = F.cross_entropy(model(x).float(), y)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()

    counter = FlopCounterMode(display=False)
    with counter:
        step()
    return step, counter.get_total_flops() / batch


def engine_rate(preset: str, device: str, precision: str, root, epochs: int, overrides: list[str]) -> float:
    """Training-phase images/s of ``fit`` on the real data: the median of the epochs after the first."""
    rates: list[float] = []

    def on_event(event) -> None:
        if isinstance(event, EpochEnded) and event.metrics.epoch > 1:
            rates.append(event.metrics.images_per_s)

    settings = [f"train.epochs={epochs}", f"train.device={device}", f"train.precision={precision}", *overrides]
    cfg = apply_overrides(load_preset(preset), settings)
    with tempfile.TemporaryDirectory() as runs_dir:
        fit(cfg, on_event, runs_dir=runs_dir, data_root=root)
    return statistics.median(rates)


def measure(preset: str, device: torch.device, precision: str, args, root) -> dict[str, object]:
    """Peak, bare network and engine loop for one preset and precision, with their fractions."""
    peak = peak_matmul(device, precision, args.matmul_n, args.seconds)
    batch = args.batch or load_preset(preset).train.batch_size
    step, flop_per_image = network_step(preset, device, precision, batch)
    bare_s = timed(step, device, args.seconds)
    bare_rate = batch / bare_s
    engine = engine_rate(preset, device.type, precision, root, args.epochs, args.set)
    bare_flops, engine_flops = bare_rate * flop_per_image, engine * flop_per_image
    return {
        "batch": batch,
        "peak_matmul_flop_per_s": peak["flop_per_s"],
        "train_flop_per_image": flop_per_image,
        "bare_images_per_s": bare_rate,
        "bare_flop_per_s": bare_flops,
        "engine_images_per_s": engine,
        "engine_flop_per_s": engine_flops,
        "bare_of_peak": bare_flops / peak["flop_per_s"],
        "engine_of_bare": engine / bare_rate,
        "engine_of_peak": engine_flops / peak["flop_per_s"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--precision", action="append", choices=sorted(DTYPES), help="fp32 and/or bf16 (default: both where native)")
    parser.add_argument("--preset", action="append", help="networks to measure (default: cifar10-convnet)")
    parser.add_argument("--batch", type=int, default=0, help="batch of the bare step; 0 = the preset's train.batch_size")
    parser.add_argument("--matmul-n", type=int, default=2048, help="size of the peak matmul")
    parser.add_argument("--seconds", type=float, default=5.0, help="time spent on each timed call")
    parser.add_argument("--epochs", type=int, default=2, help="epochs of the engine's run (the first is not counted)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="an override for the engine's run")
    parser.add_argument("--data", help="folder with cifar10.npz (default: $RDFIA_TUI_DATA)")
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args()
    device = torch.device(args.device)
    native = device.type == "cuda" or cpu_has_native_bf16()
    precisions = args.precision or (["fp32", "bf16"] if native else ["fp32"])
    root = data_root(args.data)
    presets = args.preset or ["cifar10-convnet"]
    for preset in presets:  # a mistake is said before anything is measured
        apply_overrides(load_preset(preset), args.set)
    results = {
        preset: {p: measure(preset, device, p, args, root) for p in precisions} for preset in presets
    }
    emit({"machine": machine(), "native_bf16": native, "results": results}, args.out)


if __name__ == "__main__":
    run_main(main)
