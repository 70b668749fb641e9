"""The same run headless and inside the console (driven by Textual's Pilot): the ratio of wall times.

    python benchmarks/ui_overhead.py --preset mnist-mlp --repeats 3
    python benchmarks/ui_overhead.py --preset cifar10-augmented --set data.limit_train=5000 --set train.epochs=2

Both sides go through ``fit``; the console also draws every chart point, the layer table, the
log and the status line on a 120×40 virtual screen. Two thread settings are measured:
``default`` (each side's own default: every core headless, one fewer in the console, which keeps
the screen responsive) and ``same`` (both use --threads). Wall time is the run's own
``duration_s`` from summary.json, so start-up is excluded on both sides.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path

from common import data_root, emit, machine, spread

from rdfia_tui.engine.config import apply_overrides
from rdfia_tui.engine.presets import load_preset
from rdfia_tui.engine.training import fit


def headless(preset: str, overrides: list[str], runs_dir: Path, root: Path) -> float:
    result = fit(apply_overrides(load_preset(preset), overrides), runs_dir=runs_dir, data_root=root)
    assert result.status == "completed", result.message
    return float(result.summary["duration_s"])


async def in_console(preset: str, overrides: list[str], runs_dir: Path, root: Path) -> float:
    from rdfia_tui.tui.app import create_app
    from rdfia_tui.tui.options import AppOptions

    app = create_app(AppOptions(preset=preset, overrides=tuple(overrides), runs_dir=runs_dir, data_root=str(root)))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)
        await pilot.press("s")
        deadline = time.monotonic() + 3600
        while not (app.last_status is not None and not app.running):
            if time.monotonic() > deadline:
                raise TimeoutError("the console run did not finish")
            # not pilot.pause(): it waits for the screen on every call, which is harness work a user's terminal never does
            await asyncio.sleep(0.25)
        assert app.last_status == "completed", app.last_status
        run_dir = app.run_dir
    return float(json.loads((run_dir / "summary.json").read_text())["duration_s"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="mnist-mlp")
    parser.add_argument("--set", action="append", default=[], help="override, e.g. train.epochs=3")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=max(1, (os.cpu_count() or 2) - 1), help="threads for the 'same' setting")
    parser.add_argument("--data", help="data folder (default: $RDFIA_TUI_DATA, then ../shared/data)")
    parser.add_argument("--runs-dir", default="/tmp/rdfia-bench-runs")
    parser.add_argument("--out")
    args = parser.parse_args()
    needed = {"mnist": "mnist.npz", "cifar10": "cifar10.npz"}.get(load_preset(args.preset).data.dataset, "")
    root = data_root(args.data, needed) if needed else Path(args.data or ".")
    runs = Path(args.runs_dir)
    results: dict[str, dict[str, object]] = {}
    for setting, extra in (("default", []), ("same", [f"train.threads={args.threads}"])):
        overrides = [*args.set, *extra]
        times: dict[str, list[float]] = {"headless": [], "console": []}
        for _ in range(args.repeats):
            times["headless"].append(headless(args.preset, overrides, runs, root))
            times["console"].append(asyncio.run(in_console(args.preset, overrides, runs, root)))
        ratios = [c / h for c, h in zip(times["console"], times["headless"], strict=True)]
        results[setting] = {
            "overrides": overrides,
            "headless_s": spread(times["headless"]),
            "console_s": spread(times["console"]),
            "ratio_of_medians": spread(times["console"])["median"] / spread(times["headless"])["median"],
            "ratio_per_pair": spread(ratios),
        }
    emit({"benchmark": "ui_overhead", "machine": machine(), "preset": args.preset, "results": results}, args.out)


if __name__ == "__main__":
    main()
