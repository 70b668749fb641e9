"""The subcommands: each turns parsed arguments into engine calls and printed lines."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rdfia_tui.cli import export_command, memory_command
from rdfia_tui.cli import live_commands as live
from rdfia_tui.cli.config_args import resolve_config
from rdfia_tui.cli.lesson_command import cmd_lesson
from rdfia_tui.cli.lr_find_command import cmd_lr_find
from rdfia_tui.cli.output import format_table, has_terminal
from rdfia_tui.cli.report_command import cmd_report
from rdfia_tui.cli.run_end import announced, take_notify_url
from rdfia_tui.cli.signals import Interrupted, signal_exit_code, stop_on_signals
from rdfia_tui.cli.summary_command import cmd_summary
from rdfia_tui.cli.sweep_command import cmd_sweep
from rdfia_tui.engine.config import ConfigError, RunConfig, apply_overrides
from rdfia_tui.engine.events import Emit, Event, RunStarted
from rdfia_tui.engine.notify import notify_url
from rdfia_tui.engine.presets import list_presets, load_preset
from rdfia_tui.engine.runs.status import RunStatus

if TYPE_CHECKING:
    from rdfia_tui.engine.distributed import World


def cmd_run(args: argparse.Namespace) -> int:
    take_notify_url(args)  # a malformed URL is said before anything starts
    cfg = resolve_config(args)
    if args.detach:
        return live.detach_new_run(cfg, args)
    return train(cfg, args)


def cmd_resume(args: argparse.Namespace) -> int:
    from rdfia_tui.engine.runs.resume import resume_config

    take_notify_url(args)
    cfg = resume_config(args.run_dir, args.overrides)
    if args.detach:
        return live.detach_resume(args)
    args.runs_dir = None
    return train(cfg, args, resume=args.run_dir)


def train(cfg: RunConfig, args: argparse.Namespace, resume: str | None = None) -> int:
    """Train headless (a new run, or ``resume`` a run folder), printing one line per epoch; with ``train.nproc`` > 1,
    through torchrun (cli.torchrun), whose ranks come back here."""
    from rdfia_tui.cli import torchrun

    if torchrun.needs_torchrun(cfg):
        return torchrun.run_through_torchrun(cfg, args, resume)
    with torchrun.joined(cfg) as world:
        return torchrun.report_exit(world, train_here(cfg, args, resume, world))


def train_here(cfg: RunConfig, args: argparse.Namespace, resume: str | None, world: World) -> int:
    """Train in this process (one rank of ``world``); rank 0 alone prints."""
    from rdfia_tui.cli.headless import HeadlessView
    from rdfia_tui.engine.control import RunControl
    from rdfia_tui.engine.training import fit

    view = HeadlessView()
    control = RunControl()
    emit = announced(started_in_background(view), notify_url(None)) if world.main else view  # the URL take_notify_url kept
    echo_s = 2.0 if world.distributed else 0.0  # a hand-started torchrun passes the terminal's Ctrl-C on again
    # the other ranks never see RunStarted (rank 0 speaks): they stop when rank 0 says so, never at once
    at_once = (lambda: not view.columns) if world.main else (lambda: False)
    with stop_on_signals(control.stop, at_once=at_once, echo_s=echo_s, announce=world.main) as received:
        try:
            result = fit(cfg, emit, control, runs_dir=args.runs_dir, data_root=args.data_root, resume=resume, world=world)
        except Interrupted as exc:  # before RunStarted: nothing was recorded
            print("rdfia-tui: interrupted before training began; nothing was recorded", file=sys.stderr)
            return signal_exit_code([exc.signum])
        except KeyboardInterrupt:
            print("rdfia-tui: interrupted; the records hold every completed epoch", file=sys.stderr)
            return 130
        finally:
            view.close()
    if not world.main:
        return RunStatus.of(result.status).exit_code
    summary, output = result.summary, view.output
    if RunStatus.of(result.status).succeeded:
        best, final = summary.get("best_test_acc"), summary.get("final_test_acc")
        if result.status == RunStatus.EARLY_STOPPED:
            output.line(f"early-stopped: {result.message}", style="green")
        if final is not None:
            text = f"{result.status}: final test accuracy {100 * final:.2f}% (best {100 * best:.2f}% at epoch {summary['best_epoch']})"
            output.line(text, style="green")
    else:
        print(f"rdfia-tui: run {result.status}: {result.message}", file=sys.stderr)
    output.line(f"run folder: {result.run_dir}")
    if result.status == RunStatus.STOPPED and received:
        return signal_exit_code(received)
    return RunStatus.of(result.status).exit_code


def started_in_background(view: Emit) -> Emit:
    """``view``, and when a launcher waits for this run (run --detach, the console), tell it the run folder at RunStarted."""
    from rdfia_tui.engine.live.launch import READY_ENV, announce_started

    if READY_ENV not in os.environ:
        return view

    def emit(event: Event) -> None:
        if isinstance(event, RunStarted):
            announce_started(event.run_dir)
        view(event)

    return emit


def parse_shape(text: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(part) for part in text.lower().replace("×", "x").split("x"))
    except ValueError:
        shape = ()
    if len(shape) not in (1, 3) or min(shape) < 1:
        raise ConfigError(f"--input: got {text!r}; give C x H x W such as 3x64x64 (or a feature count such as 2)")
    return shape


def cmd_layers(args: argparse.Namespace) -> int:
    cfg = resolve_config(args)
    from rdfia_tui.engine.model_checks import layer_table

    table = layer_table(cfg, data_root=args.data_root, input_shape=parse_shape(args.input) if args.input else None)
    rows = [
        [
            r.name,
            r.kind,
            "×".join(map(str, r.out_shape)),
            f"{r.params:,}",
            "" if r.receptive_field is None else str(r.receptive_field),
            "" if r.jump is None else str(r.jump),
        ]
        for r in table.rows
    ]
    print(f"{cfg.name}: input {'×'.join(map(str, table.input_shape))}")
    print(format_table(["layer", "type", "output", "params", "RF", "jump"], rows, right={3, 4, 5}))
    if table.error:  # the rows up to the impossible layer are shown; a total of them would mislead
        print(f"rdfia-tui: error: {table.error}", file=sys.stderr)
        return 2
    print(f"total parameters: {table.total_params:,}")
    return 0


def cmd_gradcheck(args: argparse.Namespace) -> int:
    cfg = resolve_config(args)
    from rdfia_tui.engine.model_checks import gradient_check

    rows = gradient_check(cfg, data_root=args.data_root)
    worst = max(rel for _, _, rel in rows)
    print(f"{cfg.name}: manual vs autograd gradients on one batch (float64, {cfg.train.loss}, {cfg.model.activation})")
    table = [[name, f"{diff:.3e}", f"{rel:.3e}", "ok" if rel <= args.tolerance else "TOO LARGE"] for name, diff, rel in rows]
    print(format_table(["parameter", "max abs diff", "max rel diff", ""], table, right={1, 2}))
    if worst > args.tolerance:
        print(f"rdfia-tui: error: largest relative difference {worst:.3e} is above the tolerance {args.tolerance:g}", file=sys.stderr)
        return 1
    print(f"passed: largest relative difference {worst:.3e} <= {args.tolerance:g}")
    return 0


def described_list(items: list[tuple[str, str]], columns: int) -> str:
    """``name  description`` lines, each description wrapped to ``columns`` under itself."""
    import textwrap

    width = max(len(name) for name, _ in items)
    indent = " " * (width + 2)
    lines = []
    for name, description in items:
        body = textwrap.wrap(description, max(20, columns - len(indent)), break_on_hyphens=False, break_long_words=False) or [""]
        lines.append(f"{name:<{width}}  {body[0]}")
        lines.extend(indent + more for more in body[1:])
    return "\n".join(lines)


def cmd_presets(args: argparse.Namespace) -> int:
    import shutil

    from rdfia_tui.engine.sweep.sources import load_source, sweep_names

    columns = shutil.get_terminal_size().columns
    print("presets (rdfia-tui run NAME, or in the console):")
    print(described_list([(p.name, p.description) for p in list_presets()], columns))
    print()
    print("sweeps (rdfia-tui sweep NAME):")
    print(described_list([(name, load_source(name).description) for name in sweep_names()], columns))
    return 0


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.2f}%"


def run_rows(runs: list[dict]) -> list[list[str]]:
    from rdfia_tui.engine.runs.listing import is_lr_find, lr_find_position

    rows = []
    for s in runs:
        epochs = f"{s.get('epochs_completed', 0)}/{s.get('config', {}).get('train', {}).get('epochs', '?')}" if "config" in s else "-"
        status = str(s.get("status", "?"))
        live = s.get("live")
        if is_lr_find(s):  # an lr range test trains no epoch: say what it is instead
            epochs, live = lr_find_position(s), None
        if live is not None:  # where a live run is now, and whether it is paused
            epochs = f"{live.epochs_done}/{live.epochs}"
            status += " (paused)" if live.paused else ""
        started = str(s.get("started_at", ""))[:19].replace("T", " ")
        rows.append([Path(s.get("run_dir", "?")).name, str(s.get("preset", "?")), status, epochs, _pct(s.get("final_test_acc")),
                     _pct(s.get("best_test_acc")), started])  # fmt: skip
    return rows


def sweep_rows(sweeps: list[tuple[Path, dict]]) -> list[list[str]]:
    from rdfia_tui.engine.sweep.view import completed_accuracies, finished_points

    rows = []
    for folder, doc in sweeps:
        done, accs = finished_points(doc), completed_accuracies(doc["points"])
        rows.append([folder.name, str(doc.get("name", "?")), str(doc.get("status", "?")), f"{done}/{len(doc['points'])}",
                     _pct(max(accs) if accs else None)])  # fmt: skip
    return rows


def cmd_runs(args: argparse.Namespace) -> int:
    from rdfia_tui.cli.runs_selection import selection_of
    from rdfia_tui.engine.runs.listing import list_runs
    from rdfia_tui.engine.runs.record import check_runs_dir, resolve_runs_dir
    from rdfia_tui.engine.runs.resume import can_resume
    from rdfia_tui.engine.sweep.records import list_sweeps

    selection = selection_of(args)  # a mistake in --where or --sort is said before anything is read
    runs_dir = resolve_runs_dir(args.runs_dir)
    check_runs_dir(runs_dir)
    listed, sweeps = list(reversed(list_runs(runs_dir))), list_sweeps(runs_dir)
    if not listed and not sweeps:
        print(f"no runs in {runs_dir} yet; start one with 'rdfia-tui run circles-mlp'")
        return 0
    runs = selection.apply(listed)
    if selection.query.clauses:
        print(f"{len(runs)} of {len(listed)} runs match {selection.query.text!r}")
    if runs:
        headers = [selection.header(), "preset", "status", "epochs", "final test", "best test", "started"]
        print(format_table(headers, run_rows(runs), right={3, 4, 5}))
        for s in runs:
            if s.get("status") in (RunStatus.UNREADABLE, RunStatus.LOST):
                hint = f"; resume it with 'rdfia-tui resume {s['run_dir']}'" if can_resume(s) else ""
                print(f"{s['status']}: {Path(s['run_dir']).name}: {s.get('message', '')}{hint}")
    if sweeps:
        if runs:
            print()
        print(format_table(["sweep (newest first)", "name", "status", "points done", "best test"], sweep_rows(sweeps), right={3, 4}))
    this_sweep = next((doc for folder, doc in sweeps if folder == runs_dir and doc.get("points")), None)
    if this_sweep is not None:  # --runs-dir is a sweep folder: its grid and what explains its accuracy
        from rdfia_tui.cli.sweep_command import sweep_findings

        print("\n" + sweep_findings(runs_dir, this_sweep))
    return 0


def cmd_schedule(args: argparse.Namespace) -> int:
    cfg = resolve_config(args)
    from rdfia_tui.engine.schedules import is_stepped, lr_table

    lrs = lr_table(cfg.schedule, cfg.optim.lr, cfg.train.epochs)
    stepped = "; the lr changes at every step, each epoch's first step shown" if is_stepped(cfg.schedule) else ""
    epochs = f"{cfg.train.epochs} epoch{'s' if cfg.train.epochs != 1 else ''}"
    print(f"{cfg.name}: {cfg.schedule.name} schedule from lr {cfg.optim.lr:g} over {epochs}{stepped}")
    print(format_table(["epoch", "lr"], [[str(epoch), f"{lr:.6g}"] for epoch, lr in enumerate(lrs, start=1)], right={0, 1}))
    return 0


def cmd_tui(args: argparse.Namespace) -> int:
    # Validate the command line's preset and overrides before the screen opens (a mistake is said first).
    if args.preset or args.overrides:
        apply_overrides(load_preset(args.preset or "circles-mlp"), args.overrides)
    take_notify_url(args)  # $RDFIA_TUI_NOTIFY: the console's runs inherit it and notify
    if not has_terminal():
        print("rdfia-tui: error: the console needs a terminal; for a headless run use 'rdfia-tui run PRESET'", file=sys.stderr)
        return 2
    from rdfia_tui.tui.app import create_app
    from rdfia_tui.tui.options import AppOptions

    options = AppOptions(preset=args.preset, overrides=args.overrides, runs_dir=args.runs_dir, data_root=args.data_root, start=args.start)
    app = create_app(options)
    app.run()
    live.say_left_running(app)
    return app.return_code or 0


HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "tui": cmd_tui,
    "run": cmd_run,
    "resume": cmd_resume,
    "layers": cmd_layers,
    "gradcheck": cmd_gradcheck,
    "presets": cmd_presets,
    "runs": cmd_runs,
    "sweep": cmd_sweep,
    "schedule": cmd_schedule,
    "attach": live.cmd_attach,
    "control": live.cmd_control,
    "serve": live.cmd_serve,
    "lr-find": cmd_lr_find,
    "summary": cmd_summary,
    "lesson": cmd_lesson,
    "memory": memory_command.cmd_memory,
    "report": cmd_report,
    "export": export_command.cmd_export,
}
