"""The same run headless and followed by an attached console (driven by Textual's Pilot at 120×40): the ratio of wall times.

    python benchmarks/ui_overhead.py --preset mnist-mlp --repeats 3
    python benchmarks/ui_overhead.py --preset cifar10-augmented --set data.limit_train=5000 --set train.epochs=2

Both sides train in a process of their own, as users run them: ``headless`` is ``rdfia-tui run`` (no console
anywhere); ``console`` is the console's own ``s``: it launches the same command as a child process and follows
its events.jsonl, drawing every chart point, the layer table, the log and the status line (its own CPU time
is reported too: on a machine whose cores the run uses, that is what the console takes from it). The pairs are
interleaved (headless, console, headless, …) so that drifts of a noisy machine hit both sides. Wall time is
the run's own ``duration_s`` from summary.json, so start-up (the child's torch import) is excluded on both sides.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

from common import data_root, emit, machine, run_main, spread

from rdfia_tui.engine.presets import load_preset


def duration(run_dir: Path) -> float:
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "completed", summary.get("message")
    return float(summary["duration_s"])


def headless(preset: str, overrides: list[str], runs_dir: Path, root: Path) -> float:
    sets = [part for value in overrides for part in ("--set", value)]
    command = [sys.executable, "-m", "rdfia_tui", "run", preset, *sets, "--runs-dir", str(runs_dir), "--data-root", str(root)]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return duration(Path(out.stdout.strip().splitlines()[-1].removeprefix("run folder: ")))


async def in_console(preset: str, overrides: list[str], runs_dir: Path, root: Path) -> tuple[float, float]:
    """The run's duration_s, and the CPU seconds the console itself spent meanwhile (drawing, following)."""
    from rdfia_tui.tui.app import create_app
    from rdfia_tui.tui.options import AppOptions

    app = create_app(AppOptions(preset=preset, overrides=tuple(overrides), runs_dir=runs_dir, data_root=str(root)))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)
        cpu = time.process_time()
        await pilot.press("s")
        deadline = time.monotonic() + 3600
        while not (app.last_status is not None and not app.running):
            if time.monotonic() > deadline:
                raise TimeoutError("the console run did not finish")
            # not pilot.pause(): it waits for the screen on every call, which is harness work a user's terminal never does
            await asyncio.sleep(0.25)
        cpu = time.process_time() - cpu
        assert app.last_status == "completed", app.last_status
        run_dir = app.run_dir
    return duration(run_dir), cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="mnist-mlp")
    parser.add_argument("--set", action="append", default=[], help="override, e.g. train.epochs=3")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data", help="data folder (default: $RDFIA_TUI_DATA)")
    parser.add_argument("--runs-dir", default="/tmp/rdfia-bench-runs")
    parser.add_argument("--out")
    args = parser.parse_args()
    needed = {"mnist": "mnist.npz", "cifar10": "cifar10.npz"}.get(load_preset(args.preset).data.dataset, "")
    root = (data_root(args.data, needed) if needed else Path(args.data or ".")).absolute()
    runs = Path(args.runs_dir).absolute()
    times: dict[str, list[float]] = {"headless": [], "console": [], "console_cpu": []}
    for _ in range(args.repeats):
        times["headless"].append(headless(args.preset, args.set, runs, root))
        wall, cpu = asyncio.run(in_console(args.preset, args.set, runs, root))
        times["console"].append(wall)
        times["console_cpu"].append(cpu)
    ratios = [c / h for c, h in zip(times["console"], times["headless"], strict=True)]
    result = {
        "overrides": args.set,
        "headless_s": spread(times["headless"]),
        "console_s": spread(times["console"]),
        "ratio_of_medians": spread(times["console"])["median"] / spread(times["headless"])["median"],
        "ratio_per_pair": spread(ratios),
        "console_cpu_s": spread(times["console_cpu"]),  # the console process's own CPU time while the run went
    }
    emit({"benchmark": "ui_overhead", "machine": machine(), "preset": args.preset, "result": result}, args.out)


if __name__ == "__main__":
    run_main(main)
