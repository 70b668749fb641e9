"""Chart redraw cost with each smoothing mode: one loss chart of the console, drawn and rendered as on screen.

    python benchmarks/chart_redraw.py --repeats 20

A 100×30 chart holds a run's per-step loss (``--steps`` points, 4000 by default) and three per-epoch series
(train, val, test over 21 epochs). Each figure is the median time of ``_draw`` (the plotext figure) plus ``render``
(the text Textual paints) over ``--repeats`` redraws, with smoothing off, EMA 0.9, a window mean of 25, and EMA 0.9
with its min/max band. The console redraws a chart at most 4 times a second (charts.REDRAW_SECONDS).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from dataclasses import replace

from common import emit, machine, run_main, spread
from textual.app import App, ComposeResult

from rdfia_tui.engine.events import BatchProgress, EpochMetrics
from rdfia_tui.engine.smoothing import Smoothing
from rdfia_tui.tui.widgets.charts import SeriesChart
from rdfia_tui.tui.widgets.run_curves import RunCurves

MODES = {
    "off": (Smoothing(), False),
    "EMA 0.9": (Smoothing("ema", weight=0.9), False),
    "mean of 25": (Smoothing("mean", window=25), False),
    "EMA 0.9 + band": (Smoothing("ema", weight=0.9), True),
}


class ChartApp(App):
    def compose(self) -> ComposeResult:
        yield SeriesChart("loss", id="loss")
        yield SeriesChart("accuracy", id="acc")


def fill(curves: RunCurves, steps: int, epochs: int = 20) -> None:
    """A run's worth of points: ``steps`` per-step losses over ``epochs`` epochs, and epochs 0..epochs."""
    per_epoch = max(steps // epochs, 1)
    for epoch in range(epochs + 1):
        loss = 2.3 / (1 + epoch)
        accs = (0.1 + epoch / 25, 0.1 + epoch / 26, 0.1 + epoch / 27)  # train, val, test
        curves.add_epoch(EpochMetrics(epoch, loss, accs[0], loss * 1.1, accs[1], loss * 1.2, accs[2], 0.1, 1.0, 1.0))
        if epoch == 0:
            continue
        losses = [loss * (1 + 0.3 * math.sin(i)) for i in range(per_epoch)]
        curves.add_steps(BatchProgress(epoch, per_epoch, per_epoch, losses[-1], 1.0, 0.0, tuple(losses)), losses)


async def measure(steps: int, repeats: int) -> dict[str, object]:
    app = ChartApp()
    async with app.run_test(size=(100, 60)) as pilot:
        loss, acc = app.query_one("#loss", SeriesChart), app.query_one("#acc", SeriesChart)
        loss.styles.height = acc.styles.height = 30
        await pilot.pause()
        curves = RunCurves(loss, acc)
        curves.reset()
        fill(curves, steps)
        timings = {}
        for name, (smoothing, band) in MODES.items():
            loss.settings = replace(loss.settings, smoothing=smoothing, band=band)
            runs = []
            for _ in range(repeats):
                began = time.perf_counter()
                loss._draw()
                loss.render()
                runs.append(time.perf_counter() - began)
            timings[name] = spread(runs)
    return {"steps": steps, "repeats": repeats, "redraw_s": timings}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--out")
    args = parser.parse_args()
    emit({"machine": machine(), **asyncio.run(measure(args.steps, args.repeats))}, args.out)


if __name__ == "__main__":
    run_main(main)
