"""``rdfia-tui sweep``: train every point of a grid, one line per finished point, then the table and the accuracy grid."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from rdfia_tui.cli.output import Output, format_table
from rdfia_tui.cli.run_end import announce, sweep_body, take_notify_url
from rdfia_tui.cli.signals import signal_exit_code, stop_on_signals
from rdfia_tui.engine.runs.status import RunStatus


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}%"


def point_line(index: int, total: int, text: str, result: Any, skipped: bool = False) -> str:
    """``[3/8] optim.lr=1 train.batch_size=128: completed, final test 45.10%, best 46.00% (epoch 2), 35.2s``."""
    head = f"[{index}/{total}] {text}: "
    if result.status == RunStatus.DIVERGED:
        body = f"diverged: {result.message.split(';')[0]}"
    elif result.status in (RunStatus.COMPLETED, RunStatus.EARLY_STOPPED, RunStatus.STOPPED):
        best = f", best {_pct(result.best_test_acc)} (epoch {result.best_epoch})" if result.best_test_acc is not None else ""
        seconds = f", {result.duration_s:.1f}s" if result.duration_s is not None else ""
        body = f"{result.status}, final test {_pct(result.final_test_acc)}{best}{seconds}"
        if result.at_chance:
            body += " — at chance"
    else:
        body = f"{result.status}: {result.message}"
    return head + ("already " + body + " (skipped)" if skipped else body)


def results_table(doc: dict[str, Any]) -> str:
    """One row per point: its axis labels, seed, status, final/best test accuracy, final train accuracy, time, note."""
    axes = list(doc.get("labels", {}))
    seeds = int(doc.get("seeds", 1)) > 1
    headers = ["#", *axes, *(["seed"] if seeds else []), "status", "final test", "best test", "final train", "time", "note"]
    rows = []
    for p in doc["points"]:
        note = "at chance" if p.get("at_chance") else ""
        if p.get("status") == RunStatus.FAILED:
            note = str(p.get("message", ""))[:60]
        rows.append(
            [
                str(p["index"]),
                *(p["labels"][a] for a in axes),
                *([str(p["seed"])] if seeds else []),
                str(p.get("status", "?")),
                _pct(p.get("final_test_acc")) if p.get("status") != RunStatus.DIVERGED else "-",
                _pct(p.get("best_test_acc")),
                _pct(p.get("final_train_acc")) if p.get("status") != RunStatus.DIVERGED else "-",
                "-" if p.get("duration_s") is None else f"{p['duration_s']:.1f}s",
                note,
            ]
        )
    right = {0, len(axes) + seeds + 2, len(axes) + seeds + 3, len(axes) + seeds + 4, len(axes) + seeds + 5}
    return format_table(headers, rows, right=right)


def grid_table(doc: dict[str, Any]) -> str | None:
    """The accuracy grid as text (rows × columns), the best cell starred; None for a one-axis sweep."""
    from rdfia_tui.engine.sweep.view import accuracy_grid

    grid = accuracy_grid(doc)
    if len(doc.get("labels", {})) < 2:
        return None
    rows = [
        [label, *(c.text + (" *" if c.kind == "best" else "") for c in row)] for label, row in zip(grid.row_labels, grid.cells, strict=True)
    ]
    early = any(p.get("status") == RunStatus.EARLY_STOPPED for p in doc.get("points", []))
    title = f"final test accuracy (%): {grid.row_title} down, {grid.col_title} across (* best{'; early: stopped early' if early else ''})"
    return title + "\n" + format_table([grid.row_title, *grid.col_labels], rows, right=set(range(1, len(grid.col_labels) + 1)))


def importance_text(sweep_dir: Path, doc: dict[str, Any]) -> str:
    """What explains the final test accuracy (engine.sweep.importance): the method, the table or why it cannot
    tell, and how points without a final accuracy were treated."""
    from rdfia_tui.engine.sweep.importance import METHOD, chance_of, importance, importance_rows, importance_title

    result = importance(doc, chance_of(sweep_dir, doc))
    lines = [importance_title(), f"method: {METHOD}"]
    if result.verdict:
        lines.append(result.verdict)
    else:
        headers, rows = importance_rows(result)
        lines.append(format_table(headers, rows, right={1}))
    lines.extend(f"note: {note}" for note in result.notes)
    return "\n".join(lines)


def sweep_findings(sweep_dir: Path, doc: dict[str, Any]) -> str:
    """A finished sweep's accuracy grid (two axes or more) and its hyper-parameter importance, as printed text."""
    grid = grid_table(doc)
    return (grid + "\n\n" if grid else "") + importance_text(sweep_dir, doc)


def sweep_runner(args: argparse.Namespace) -> Callable[..., Any]:
    """run_sweep (in this process, one point after another), or, with --ray, run_sweep_on_ray with the trial options."""
    if not args.ray:
        from rdfia_tui.engine.sweep.runner import run_sweep

        return run_sweep
    from rdfia_tui.engine.sweep.on_ray import RayOptions, check_reachable, import_ray, run_sweep_on_ray

    import_ray()
    address = None if args.ray == "local" else args.ray
    check_reachable(address)
    options = RayOptions(address, args.cpus_per_trial, args.gpus_per_trial, args.scheduler)
    return partial(run_sweep_on_ray, options=options)


def cmd_sweep(args: argparse.Namespace) -> int:
    from rdfia_tui.engine.control import RunControl
    from rdfia_tui.engine.runs.record import check_runs_dir, resolve_runs_dir
    from rdfia_tui.engine.sweep.plan import build_plan
    from rdfia_tui.engine.sweep.records import read_sweep
    from rdfia_tui.engine.sweep.runner import PointFinished, SweepEvent, new_sweep_dir

    url = take_notify_url(args)
    plan = build_plan(args.source, grid=args.grid, seeds=args.seeds, overrides=args.overrides, device=args.device)
    run = sweep_runner(args)  # before a folder is made: without Ray installed, --ray says how to install it
    if args.sweep_dir:
        check_runs_dir(Path(args.sweep_dir).expanduser(), "sweep dir", "--sweep-dir")
    sweep_dir = Path(args.sweep_dir).expanduser() if args.sweep_dir else new_sweep_dir(resolve_runs_dir(args.runs_dir), plan.name)
    printer = Output()
    control = RunControl()
    seeds = f", {plan.seeds} seeds each" if plan.seeds > 1 else ""
    printer.line(
        f"sweep {plan.name}: {len(plan.points)} runs over {' × '.join(a.name for a in plan.axes)}{seeds}; sweep folder {sweep_dir}"
    )

    def on_event(event: SweepEvent) -> None:
        if isinstance(event, PointFinished):
            style = "dim" if event.skipped else RunStatus.of(event.result.status).colour
            printer.line(point_line(event.index, event.total, event.point.text, event.result, event.skipped), style=style)

    resume, started = f"run the same command with --sweep-dir {sweep_dir} to resume", time.time()
    with stop_on_signals(control.stop) as received:
        try:
            outcome = run(plan, sweep_dir, on_event, control, data_root=args.data_root)
        except KeyboardInterrupt:
            print(f"rdfia-tui: interrupted; sweep.json holds every finished point; {resume}", file=sys.stderr)
            return 130
    doc = read_sweep(sweep_dir)
    printer.line("")
    printer.line(results_table(doc))
    printer.line("")
    printer.line(sweep_findings(sweep_dir, doc))
    finished = sum(1 for r in outcome.results if r.finished)
    if outcome.status == RunStatus.STOPPED:
        print(f"rdfia-tui: sweep stopped: {finished} of {len(outcome.results)} points finished; {resume}", file=sys.stderr)
    elif outcome.failed:
        failed = ", ".join(map(str, outcome.failed))
        print(f"rdfia-tui: {len(outcome.failed)} of {len(outcome.results)} points failed (point {failed}); {resume}", file=sys.stderr)
    printer.line(f"sweep folder: {sweep_dir}")
    body = sweep_body(plan.name, outcome.status, doc.get("points", []), str(sweep_dir), started)
    announce(body, url, lambda line: printer.line(f"note: {line}", style="yellow"))
    if outcome.status == RunStatus.STOPPED:
        return signal_exit_code(received)
    return 1 if outcome.failed else 0
