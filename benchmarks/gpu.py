"""Everything to measure when an NVIDIA GPU is at hand, in one script of a few minutes on an H100.

    python benchmarks/gpu.py --out gpu.json
    python benchmarks/gpu.py --device cpu --quick     # a smoke run of the same code on the CPU

1. engine_vs_naive on the GPU: the naive loop with --workers DataLoader workers and pinned memory.
2. Engine epoch time and images/s on the whole training split, for several speed settings
   (fp32 vs bf16 autocast, channels_last, batch size, torch.compile, CUDA graphs).
3. A whole 30-epoch cifar10-best run, end to end (wall time around fit, and its test accuracy).
"""

from __future__ import annotations

import argparse
from types import SimpleNamespace

import torch
from common import data_root, emit, machine, run_main, spread
from engine_vs_naive import engine_cfg, engine_run, naive_run, shared_images
from speed_settings import VARIANTS as SETTINGS
from speed_settings import epoch_times

VARIANTS = {
    name: extra
    for name, extra in SETTINGS.items()
    if name.startswith("fp32, contiguous") or "b512" in name or name == "bf16, channels_last"
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="folder with cifar10.npz (default: $RDFIA_TUI_DATA)")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--workers", type=int, default=8, help="DataLoader workers of the naive loop")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3, help="epochs per speed variant")
    parser.add_argument("--skip-compile", action="store_true", help="leave out the torch.compile and CUDA-graph variants")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the script, measures nothing")
    parser.add_argument("--runs-dir", default="/tmp/rdfia-bench-runs")
    parser.add_argument("--out")
    args = parser.parse_args()
    root = data_root(args.data)
    limit = 1000 if args.quick else 0
    base = [f"train.device={args.device}", "train.progress_interval=1.0", f"data.limit_train={limit}"]
    out: dict[str, object] = {"benchmark": "gpu", "machine": machine(), "device": args.device, "quick": args.quick}
    if args.device.startswith("cuda"):
        out["gpu"] = torch.cuda.get_device_name(torch.device(args.device))

    # 1. engine against the naive loop, alternated
    nav = SimpleNamespace(limit=limit or 50000, epochs=1, batch=128, lr=0.1, seed=0, workers=args.workers, device=args.device, set=[])
    cfg = engine_cfg(nav)
    train, test = shared_images(cfg, root)
    naive, engine = [], []
    for _ in range(1 if args.quick else args.repeats):
        naive.append(naive_run(train, test, nav, torch.device(args.device)))
        engine.append(engine_run(cfg, root, args.runs_dir))
    naive_rate, engine_rate = spread([r["images_per_s"] for r in naive]), spread([r["images_per_s"] for r in engine])
    out["engine_vs_naive"] = {
        "train_images": len(train[1]),
        "naive_workers": args.workers,
        "naive_images_per_s": naive_rate,
        "engine_images_per_s": engine_rate,
        "ratio_of_medians": engine_rate["median"] / naive_rate["median"],
        "naive_test_acc": spread([r["test_acc"] for r in naive]),
        "engine_test_acc": spread([r["test_acc"] for r in engine]),
        "engine_speed": engine[0]["speed"],
    }

    # 2. epoch time of the augmented preset under each speed setting
    variants = {k: v for k, v in VARIANTS.items() if not (args.skip_compile and ("compile" in k or "graphs" in k))}
    epochs = 1 if args.quick else args.epochs
    out["epochs"] = {
        name: epoch_times("cifar10-augmented", [*base, f"train.epochs={epochs}", *extra], root, args.runs_dir)
        for name, extra in variants.items()
    }

    # 3. the whole cifar10-best run, end to end
    best_epochs = 1 if args.quick else 30
    out["cifar10_best"] = epoch_times("cifar10-best", [*base, f"train.epochs={best_epochs}"], root, args.runs_dir)
    emit(out, args.out)


if __name__ == "__main__":
    run_main(main)
