"""Torch threads against the work per step: wall time of whole headless runs at 1 and at every core,
on an idle machine and with one busy process beside them.

Each run is a fresh ``python -m rdfia_tui run`` process (start-up included, as a user waits for it);
the configurations alternate within each repeat, so drift in the machine's speed hits them all.
The work per step is the engine's own estimate (multiply-accumulates of one example × 3 for the
backward pass × batch size), the figure ``train.threads = 0`` chooses from.

    python benchmarks/threads.py --repeats 3
    python benchmarks/threads.py --preset circles-mlp --preset mnist-mlp --repeats 5 --out threads.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, data_root, emit, machine, run_main, spread

CASES = {
    "circles-mlp": [],
    "digits-mlp": [],
    "mnist-mlp": ["data.limit_train=20000", "train.epochs=1"],
    "cifar10-convnet": ["data.limit_train=2000", "train.epochs=1"],
}
SPIN = "while True: pass"
DATA_FILES = {"mnist-mlp": "mnist.npz", "cifar10-convnet": "cifar10.npz"}


def step_work(preset: str, overrides: list[str], root: Path) -> float:
    """The engine's estimate of one training step's multiply-accumulates (what train.threads=0 uses)."""
    sys.path.insert(0, str(REPO))
    from rdfia_tui.engine.config import apply_overrides
    from rdfia_tui.engine.model_checks import layer_table
    from rdfia_tui.engine.presets import load_preset
    from rdfia_tui.engine.speed import step_macs

    cfg = apply_overrides(load_preset(preset), overrides)
    return step_macs(layer_table(cfg, data_root=str(root)), cfg.train.batch_size)


def one_run(preset: str, overrides: list[str], threads: int, busy: bool, root: Path) -> float:
    """Wall seconds of one headless run; with ``busy``, a spinning process holds a core meanwhile."""
    spinner = subprocess.Popen([sys.executable, "-c", SPIN]) if busy else None
    try:
        with tempfile.TemporaryDirectory() as runs:
            cmd = [sys.executable, "-m", "rdfia_tui", "run", preset, "--runs-dir", runs, "--data-root", str(root)]
            cmd += [arg for o in [*overrides, f"train.threads={threads}", "train.device=cpu"] for arg in ("--set", o)]
            env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
            start = time.perf_counter()
            subprocess.run(cmd, cwd=REPO, env=env, check=True, capture_output=True)
            return time.perf_counter() - start
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", action="append", help="presets to time (default: the four in CASES)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="another override for every run")
    parser.add_argument("--data", help="data root (default: $RDFIA_TUI_DATA)")
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    presets = args.preset or list(CASES)
    needed = [DATA_FILES[p] for p in presets if p in DATA_FILES]
    root = data_root(args.data, needed[0]) if needed else Path(tempfile.gettempdir())
    cases = {p: [*CASES.get(p, []), *args.overrides] for p in presets}
    configs = [(threads, busy) for busy in (False, True) for threads in sorted({1, cores})]
    times: dict[str, dict[str, list[float]]] = {p: {} for p in presets}
    for _ in range(args.repeats):
        for preset in presets:
            for threads, busy in configs:
                key = f"{threads} thread{'s' if threads > 1 else ''}, {'busy' if busy else 'idle'}"
                times[preset].setdefault(key, []).append(one_run(preset, cases[preset], threads, busy, root))
    result = {
        "machine": machine(),
        "cores": cores,
        "presets": {p: {"step_macs": step_work(p, cases[p], root), "wall_s": {k: spread(v) for k, v in times[p].items()}} for p in presets},
    }
    emit(result, args.out)
    medians = {p: {k: round(v["median"], 2) for k, v in r["wall_s"].items()} for p, r in result["presets"].items()}
    print(json.dumps(medians), file=sys.stderr)


if __name__ == "__main__":
    run_main(main)
