"""Epoch time of the augmented preset under each speed setting: precision, layout, batch, compilation.

    python benchmarks/speed_settings.py --device cpu --limit 5000 --epochs 2 --repeats 2
    python benchmarks/speed_settings.py --device cuda --limit 0 --epochs 3

The defaults of train.precision, train.channels_last and train.compile are chosen from this.
Each variant is one fit; the variants are alternated ``--repeats`` times. The first epoch
(which pays for compilation, if any) is reported apart from the median of the later ones.
"""

from __future__ import annotations

import argparse
import statistics
import time

from common import data_root, emit, machine, run_main, spread

from rdfia_tui.engine.config import apply_overrides
from rdfia_tui.engine.events import EpochEnded
from rdfia_tui.engine.presets import load_preset
from rdfia_tui.engine.training import fit

VARIANTS = {
    "fp32, contiguous": ["train.precision=fp32", "train.channels_last=off"],
    "fp32, channels_last": ["train.precision=fp32", "train.channels_last=on"],
    "bf16, channels_last": ["train.precision=bf16", "train.channels_last=on"],
    "fp32, channels_last, b512": ["train.precision=fp32", "train.channels_last=on", "train.batch_size=512"],
    "bf16, channels_last, b512": ["train.precision=bf16", "train.channels_last=on", "train.batch_size=512"],
    "fp32, channels_last, compile": ["train.precision=fp32", "train.channels_last=on", "train.compile=true"],
    "bf16, channels_last, b512, compile": ["train.precision=bf16", "train.channels_last=on", "train.batch_size=512", "train.compile=true"],
    "bf16, channels_last, b512, cuda graphs": [
        "train.precision=bf16",
        "train.channels_last=on",
        "train.batch_size=512",
        "train.cuda_graphs=true",
    ],
}


def epoch_times(preset: str, overrides: list[str], root, runs_dir: str) -> dict[str, object]:
    """Train-phase seconds and images/s per epoch, the whole wall time, and the final test accuracy."""
    metrics: list = []

    def on_event(event) -> None:
        if isinstance(event, EpochEnded) and event.metrics.epoch > 0:
            metrics.append(event.metrics)

    start = time.perf_counter()
    result = fit(apply_overrides(load_preset(preset), overrides), on_event, runs_dir=runs_dir, data_root=root)
    wall = time.perf_counter() - start
    later = metrics[1:] or metrics
    return {
        "status": result.status,
        "first_epoch_s": metrics[0].seconds,
        "epoch_s": statistics.median(m.seconds for m in later),
        "images_per_s": statistics.median(m.images_per_s for m in later),
        "wall_s": wall,
        "final_test_acc": result.summary.get("final_test_acc"),
        "speed": result.summary.get("speed"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="folder with cifar10.npz (default: $RDFIA_TUI_DATA)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--limit", type=int, default=5000, help="training images (0: all 50,000)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--only", action="append", help="run only this variant (its exact name; repeatable)")
    parser.add_argument("--runs-dir", default="/tmp/rdfia-bench-runs")
    parser.add_argument("--out")
    args = parser.parse_args()
    root = data_root(args.data)
    variants = {k: v for k, v in VARIANTS.items() if not args.only or k in args.only}
    if not args.device.startswith("cuda"):
        variants = {k: v for k, v in variants.items() if "cuda graphs" not in k}
    base = [f"train.device={args.device}", f"train.epochs={args.epochs}", f"data.limit_train={args.limit}", "train.progress_interval=1.0"]
    runs: dict[str, list[dict[str, object]]] = {name: [] for name in variants}
    for _ in range(args.repeats):
        for name, extra in variants.items():
            runs[name].append(epoch_times("cifar10-augmented", [*base, *extra], root, args.runs_dir))
    reference = statistics.median(r["images_per_s"] for r in runs[next(iter(runs))])
    results = {
        name: {
            "speed": rows[0]["speed"],
            "images_per_s": spread([r["images_per_s"] for r in rows]),
            "first_epoch_s": spread([r["first_epoch_s"] for r in rows]),
            "relative_to_first_variant": statistics.median(r["images_per_s"] for r in rows) / reference,
            "final_test_acc": spread([r["final_test_acc"] for r in rows]),
        }
        for name, rows in runs.items()
    }
    emit({"benchmark": "speed_settings", "machine": machine(), "settings": vars(args), "results": results}, args.out)


if __name__ == "__main__":
    run_main(main)
