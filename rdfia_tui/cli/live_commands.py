"""The commands for runs in their own processes: ``run --detach``, ``attach``, ``control`` and ``serve``."""

from __future__ import annotations

import argparse
import errno
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rdfia_tui.engine.config import RunConfig
from rdfia_tui.engine.errors import RdfiaError
from rdfia_tui.engine.extras import install_line

if TYPE_CHECKING:
    from rdfia_tui.engine.control import Command


def detach(tail: list[str], runs_dir: Path) -> int:
    """Start ``rdfia-tui <tail>`` in the background, wait until its run has started, print its run folder."""
    from rdfia_tui.engine.live.launch import OUTPUT_LOG, launch, module_command

    print("starting the run in the background…", file=sys.stderr)
    launched = launch(module_command(*tail), runs_dir)
    print(f"run folder: {launched.run_dir}")
    print(f"follow it with 'rdfia-tui attach {launched.run_dir}'; its output goes to {launched.run_dir / OUTPUT_LOG}", file=sys.stderr)
    return 0


def detach_new_run(cfg: RunConfig, args: argparse.Namespace) -> int:
    """``rdfia-tui run --detach``: the resolved config is handed to the child as a preset file beside the runs."""
    from rdfia_tui.engine.live.launch import LaunchError, child_arguments
    from rdfia_tui.engine.runs.record import check_runs_dir, resolve_runs_dir

    runs_dir = resolve_runs_dir(args.runs_dir)
    check_runs_dir(runs_dir)
    try:
        with child_arguments(cfg, runs_dir, args.data_root) as (tail, where):
            return detach(tail, where)
    except LaunchError as exc:
        print(f"rdfia-tui: error: {exc}", file=sys.stderr)
        return exc.exit_code


def data_root_args(args: argparse.Namespace) -> list[str]:
    return ["--data-root", str(Path(args.data_root).expanduser().absolute())] if args.data_root else []


def detach_resume(args: argparse.Namespace) -> int:
    """``rdfia-tui resume --detach RUN_DIR``."""
    run_dir = Path(args.run_dir).expanduser().absolute()
    sets = [part for value in args.overrides for part in ("--set", value)]
    return detach(["resume", str(run_dir), *sets, *data_root_args(args)], run_dir.parent)


def cmd_attach(args: argparse.Namespace) -> int:
    """Open the console on a run (``latest`` by default): its history, then live."""
    from rdfia_tui.cli.output import has_terminal
    from rdfia_tui.engine.runs.listing import find_run
    from rdfia_tui.engine.runs.record import resolve_runs_dir

    run_dir = find_run(resolve_runs_dir(args.runs_dir), args.run)
    if not has_terminal():
        hint = f"follow it headless with 'tail -f {run_dir}/output.log'"
        print(f"rdfia-tui: error: the console needs a terminal; {hint}", file=sys.stderr)
        return 2
    from rdfia_tui.tui.app import create_app
    from rdfia_tui.tui.options import AppOptions

    app = create_app(AppOptions(runs_dir=args.runs_dir, data_root=args.data_root, attach=run_dir))
    app.run()
    say_left_running(app)
    return app.return_code or 0


def say_left_running(app: object) -> None:
    """After the console closed: the run the user left training, and how to follow it again."""
    run_dir = getattr(app, "left_running", None)
    if run_dir is not None:
        print(f"{Path(run_dir).name} trains on in the background; follow it again with 'rdfia-tui attach {run_dir}'")


def command_of(args: argparse.Namespace) -> Command:
    """The command ``rdfia-tui control`` was given; a value missing, extra or out of range is a UsageLine."""
    from rdfia_tui.engine.control import Command, CommandError

    if args.action != "lr" and args.value is not None:
        raise UsageLine(f"'{args.action}' takes no value; e.g. 'rdfia-tui control {args.run} {args.action}'")
    example = f"e.g. 'rdfia-tui control {args.run} lr 0.01'"
    if args.action == "lr" and args.value is None:
        raise UsageLine(f"give the new learning rate after 'lr'; {example}")
    try:
        return Command("set_lr" if args.action == "lr" else args.action, args.value)
    except CommandError:
        raise UsageLine(f"the learning rate must be a number above 0, got {args.value:g}; {example}") from None


def cmd_control(args: argparse.Namespace) -> int:
    """Send one command to a run in another process and wait until it says it took it."""
    from rdfia_tui.engine.live.ask import ask
    from rdfia_tui.engine.runs.listing import find_run, live_runs
    from rdfia_tui.engine.runs.record import resolve_runs_dir

    command, runs_dir = command_of(args), resolve_runs_dir(args.runs_dir)
    if args.run == "latest" and not live_runs(runs_dir):
        raise UsageLine(f"no run is training in {runs_dir} now; 'rdfia-tui runs' lists the runs")
    run_dir = find_run(runs_dir, args.run)
    taken = ask(run_dir, command, timeout=args.timeout)
    state = "paused" if taken.paused else "running"
    said = {"stop": "took stop: it stops after the current step", "set_lr": f"took learning rate {command.lr} from the next step; {state}"}
    print(f"{run_dir.name}: {said.get(command.action, f'took {command.action}; {state}')}")
    return 0


class UsageLine(RdfiaError):
    """A mistake on the command line of a live-run command: one line, exit status 2."""

    exit_code = 2


def cmd_serve(args: argparse.Namespace) -> int:
    """The console in a browser through textual-serve, on localhost by default."""
    try:
        from textual_serve.server import Server
    except ImportError:
        print(f"rdfia-tui: error: serving needs textual-serve; install it with: {install_line('serve')}", file=sys.stderr)
        return 2
    import shlex

    console = [sys.executable, "-m", "rdfia_tui"]
    if args.runs_dir:
        console += ["--runs-dir", str(Path(args.runs_dir).expanduser().absolute())]
    if args.data_root:
        console += data_root_args(args)
    public = f"http://{args.host}:{args.port}"
    print(f"serving the console at {public} (Ctrl-C stops the server; runs started from it keep training)", file=sys.stderr)
    try:
        Server(shlex.join(console), host=args.host, port=args.port, title="rdfia-tui", public_url=args.public_url or public).serve()
    except OSError as exc:  # the port is taken, or the host is not an address of this machine
        hint = "pick another --port" if exc.errno == errno.EADDRINUSE else "give an address of this machine with --host, or another --port"
        print(f"rdfia-tui: error: cannot serve on {args.host}:{args.port} ({exc.strerror or exc}); {hint}", file=sys.stderr)
        return 2
    return 0


def control_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("run", metavar="RUN_DIR", help="a run folder, a sweep folder (its point in training), or 'latest' (the newest live run)")
    p.add_argument("action", choices=["pause", "resume", "stop", "lr"], help="what to do; 'lr' takes the new learning rate")
    p.add_argument("value", nargs="?", type=float, help="the learning rate, for 'lr'")
    p.add_argument("--runs-dir", help="where run folders are, for 'latest' (default: $RDFIA_TUI_RUNS, then ./runs)")
    p.add_argument("--timeout", type=positive_seconds, default=10.0, help="seconds to wait for the run to take the command (default 10)")


def attach_args(p: argparse.ArgumentParser) -> None:
    which = "a run folder, a sweep folder (its point in training), or 'latest' (default: the newest live run, else the newest run)"
    p.add_argument("run", metavar="RUN_DIR", nargs="?", default="latest", help=which)
    p.add_argument("--runs-dir", help="where run folders are (default: $RDFIA_TUI_RUNS, then ./runs)")
    p.add_argument("--data-root", help="where datasets live, for runs started from the console after attaching")


def positive_seconds(text: str) -> float:
    """An argparse type: a finite number of seconds above 0."""
    from rdfia_tui.cli.output import above_zero

    return above_zero(text, "a number of seconds")


def port_number(text: str) -> int:
    """An argparse type: a TCP port, 1-65535."""
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 1 to 65535, got {text!r}")
    return int(text)


def serve_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1: reach it through an SSH port-forward)")
    p.add_argument("--port", type=port_number, default=8000, help="the port (default 8000)")
    p.add_argument("--public-url", help="the address the browser uses, when it differs from host:port (a proxy)")
    p.add_argument("--runs-dir", help="where run folders go (default: $RDFIA_TUI_RUNS, then ./runs)")
    p.add_argument("--data-root", help="where datasets live (default: $RDFIA_TUI_DATA, then a per-user cache folder)")

