"""Wall time and epochs to each test-accuracy threshold, per preset, over several seeds.

    python benchmarks/time_to_accuracy.py --preset cifar10-fast --preset cifar10-best --preset cifar10-convnet --seeds 0 1 2
    python benchmarks/time_to_accuracy.py --preset cifar10-fast --set train.epochs=30 --seeds 0

Each (preset, seed) is one ``fit`` in this process, the presets alternated within each seed. The clock starts when
``fit`` is called, so a time includes loading the data, the epoch-0 evaluation and every epoch's evaluation: what a
student waits for. A preset reaches a threshold at the first epoch whose test accuracy, the median over the seeds,
is at least the threshold; its time is the median over the seeds of the wall time at the end of that epoch.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from common import data_root, emit, machine, run_main

from rdfia_tui.engine.config import apply_overrides
from rdfia_tui.engine.events import EpochEnded, RunStarted
from rdfia_tui.engine.presets import load_preset
from rdfia_tui.engine.training import fit

THRESHOLDS = (0.70, 0.75, 0.80, 0.85)


def fraction(text: str) -> float:
    """An accuracy threshold: a number in [0, 1] (0.8, not 80)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a fraction such as 0.8, got {text!r}") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"thresholds are fractions in [0, 1] (0.8 for 80 %), got {text}")
    return value


def one_run(preset: str, seed: int, overrides: list[str], root, runs_dir: str) -> dict[str, object]:
    """Per epoch (1-based): test accuracy (0-1) and wall seconds since ``fit`` was called; the run's speed setting."""
    curve: list[dict[str, float]] = []
    started: dict[str, object] = {}
    begin = time.perf_counter()

    def on_event(event) -> None:
        if isinstance(event, RunStarted):
            started.update(speed=event.speed, params=event.params, setup_s=round(time.perf_counter() - begin, 2))
        if isinstance(event, EpochEnded) and event.metrics.epoch > 0:
            m = event.metrics
            curve.append({"epoch": m.epoch, "test_acc": m.test_acc, "train_acc": m.train_acc, "wall_s": time.perf_counter() - begin})

    cfg = apply_overrides(load_preset(preset), [*overrides, f"train.seed={seed}"])
    result = fit(cfg, on_event, runs_dir=runs_dir, data_root=root)
    return {"seed": seed, "status": result.status, **started, "epochs": curve}


def thresholds_reached(runs: list[dict], thresholds: tuple[float, ...]) -> dict[str, dict[str, float] | None]:
    """For each threshold: the first epoch whose median test accuracy over ``runs`` reaches it, and the median wall time
    at that epoch's end (None when no epoch does)."""
    depth = min(len(r["epochs"]) for r in runs)
    median_acc = [statistics.median(r["epochs"][i]["test_acc"] for r in runs) for i in range(depth)]
    out: dict[str, dict[str, float] | None] = {}
    for thr in thresholds:
        hit = next((i for i, acc in enumerate(median_acc) if acc >= thr), None)
        out[f"{thr:.2f}"] = None if hit is None else {
            "epoch": hit + 1,
            "median_test_acc": round(median_acc[hit], 4),
            "wall_s": round(statistics.median(r["epochs"][hit]["wall_s"] for r in runs), 1),
        }
    return out


def summarise(runs: list[dict]) -> dict[str, object]:
    """The median curve's last and best test accuracy, and the median wall time of the whole run."""
    depth = min(len(r["epochs"]) for r in runs)
    median_acc = [statistics.median(r["epochs"][i]["test_acc"] for r in runs) for i in range(depth)]
    return {
        "epochs": depth,
        "final_test_acc": round(median_acc[-1], 4) if median_acc else None,
        "best_test_acc": round(max(median_acc), 4) if median_acc else None,
        "wall_s": round(statistics.median(r["epochs"][-1]["wall_s"] for r in runs), 1) if depth else None,
        "seconds_per_epoch": round(statistics.median(r["epochs"][-1]["wall_s"] / depth for r in runs), 2) if depth else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", action="append", required=True, help="a preset to time (repeat for several)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="train.seed of each repeat")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="an override for every preset")
    parser.add_argument("--thresholds", type=fraction, nargs="+", default=list(THRESHOLDS), help="test accuracies as fractions, e.g. 0.8")
    parser.add_argument("--data", help="folder with cifar10.npz (default: $RDFIA_TUI_DATA)")
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args()
    root = data_root(args.data)
    for preset in args.preset:  # a mistake in any preset or override is said before the first run, not after it
        apply_overrides(load_preset(preset), args.set)
    runs: dict[str, list[dict]] = {p: [] for p in args.preset}
    with tempfile.TemporaryDirectory() as runs_dir:
        for seed in args.seeds:
            for preset in args.preset:
                runs[preset].append(one_run(preset, seed, args.set, root, runs_dir))
    result = {
        "machine": machine(),
        "overrides": args.set,
        "seeds": args.seeds,
        "presets": {
            p: {"thresholds": thresholds_reached(r, tuple(args.thresholds)), **summarise(r), "runs": r} for p, r in runs.items()
        },
    }
    emit(result, args.out)


if __name__ == "__main__":
    run_main(main)
