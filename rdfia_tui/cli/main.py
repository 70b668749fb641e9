"""Argument parsing and dispatch; importing this module does not import torch."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Sequence

from rdfia_tui import __version__
from rdfia_tui.cli import export_command, memory_command, report_command
from rdfia_tui.cli import live_commands as live
from rdfia_tui.cli.lesson_command import HELP as LESSON_HELP
from rdfia_tui.cli.lesson_command import lesson_args
from rdfia_tui.cli.lr_find_command import lr_find_args
from rdfia_tui.cli.summary_command import summary_args
from rdfia_tui.engine.extras import install_line

Handler = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None]]] = {}


class UsageError(Exception):
    """A command-line mistake found by argparse."""


class Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so main() owns every exit code."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _preset_and_overrides(p: argparse.ArgumentParser) -> None:
    p.add_argument("preset", help="a shipped preset name (see 'rdfia-tui presets') or a path to a .toml file")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE", help="override one key; repeatable")


def _run_args(p: argparse.ArgumentParser) -> None:
    _preset_and_overrides(p)
    p.add_argument("--runs-dir", help="where run folders go (default: $RDFIA_TUI_RUNS, then ./runs)")
    p.add_argument("--data-root", help="where datasets live (default: $RDFIA_TUI_DATA, then a per-user cache folder)")
    p.add_argument("--device", help="shorthand for --set train.device=DEVICE (auto, cpu, cuda, cuda:N, mps)")
    _detach_arg(p)
    _notify_arg(p)


def _notify_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--notify", metavar="URL", help="POST a JSON summary to URL when it ends (default: $RDFIA_TUI_NOTIFY); "
                   "other schemes than http(s) go through apprise")  # fmt: skip


def _detach_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--detach", action="store_true", help="train in the background: print the run folder and return (follow it with 'rdfia-tui attach')"
    )


def _layers_args(p: argparse.ArgumentParser) -> None:
    _preset_and_overrides(p)
    p.add_argument("--data-root", help="where datasets live, to read the input size of mnist/cifar10/npz/imagefolder data")
    p.add_argument("--input", metavar="CxHxW", help="describe the network for another input size, e.g. 3x64x64 (a fully-convolutional net)")


def _tui_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preset", help="preset to select at start (a shipped name or a .toml path; default circles-mlp)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE", help="override one key; repeatable")
    p.add_argument("--runs-dir", help="where run folders go (default: $RDFIA_TUI_RUNS, then ./runs)")
    p.add_argument("--data-root", help="where datasets live (default: $RDFIA_TUI_DATA, then a per-user cache folder)")
    p.add_argument("--start", action="store_true", help="start training at once")


def non_negative_number(text: str) -> float:
    """An argparse type: a finite number, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a number, 0 or more, got {text!r}")
    return value


def _gradcheck_args(p: argparse.ArgumentParser) -> None:
    _preset_and_overrides(p)
    p.add_argument("--data-root", help="where datasets live")
    p.add_argument(
        "--tolerance", type=non_negative_number, default=1e-6, help="largest relative difference allowed (default 1e-6, in float64)"
    )


def _sweep_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "source", metavar="PRESET_OR_SWEEP", help="a shipped sweep or preset name, or a .toml file (a preset, or a preset plus [grid])"
    )
    p.add_argument("--grid", action="append", default=[], metavar="SECTION.KEY=V1,V2", help="one axis of the grid; repeatable")
    p.add_argument("--seeds", type=int, metavar="N", help="train each point with N seeds: train.seed, train.seed+1, ...")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE", help="override one key; repeatable")
    p.add_argument("--runs-dir", help="where a new sweep folder goes (default: $RDFIA_TUI_RUNS, then ./runs)")
    p.add_argument("--sweep-dir", help="the sweep folder to write, or to resume: finished points are skipped")
    p.add_argument("--data-root", help="where datasets live (default: $RDFIA_TUI_DATA, then a per-user cache folder)")
    p.add_argument("--device", help="shorthand for --set train.device=DEVICE (auto, cpu, cuda, cuda:N, mps)")
    _notify_arg(p)
    ray = p.add_argument_group(f"on Ray ({install_line('ray')})")
    ray.add_argument("--ray", nargs="?", const="local", metavar="ADDRESS",
                     help="run each point as a Ray Tune trial, on a new local Ray instance or the cluster at ADDRESS")  # fmt: skip
    ray.add_argument("--cpus-per-trial", type=positive_number, default=1.0, metavar="N", help="CPUs each trial holds (default 1)")
    ray.add_argument("--gpus-per-trial", type=non_negative_number, default=0.0, metavar="N", help="GPUs each trial holds (default 0)")
    ray.add_argument("--scheduler", choices=("fifo", "asha"), default="fifo",
                     help="asha: Ray stops points early whose val_acc trails the others (recorded as pruned)")  # fmt: skip


def positive_number(text: str) -> float:
    """An argparse type: a finite number above 0."""
    from rdfia_tui.cli.output import above_zero

    return above_zero(text)


def _resume_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run folder that was trained with train.checkpoint=epoch")
    p.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="train.epochs=N", help="train for more epochs than planned"
    )
    p.add_argument("--data-root", help="where datasets live (default: $RDFIA_TUI_DATA, then a per-user cache folder)")
    _detach_arg(p)
    _notify_arg(p)


def _runs_args(p: argparse.ArgumentParser) -> None:
    from rdfia_tui.cli.runs_selection import add_selection_args

    p.add_argument("--runs-dir", help="where run folders are (default: $RDFIA_TUI_RUNS, then ./runs)")
    add_selection_args(p)


COMMANDS["tui"] = ("open the console (the default when no command is given)", _tui_args)
COMMANDS["run"] = ("train a preset headless, one line per epoch, and record the run", _run_args)
COMMANDS["resume"] = ("continue a stopped run from its last checkpoint (train.checkpoint=epoch), in its own folder", _resume_args)
COMMANDS["layers"] = ("print a preset's layer table: output shapes, parameters, receptive fields", _layers_args)
COMMANDS["gradcheck"] = ("compare the hand-written MLP gradients with autograd on one batch", _gradcheck_args)
COMMANDS["presets"] = ("list the shipped presets with their descriptions", lambda p: None)
COMMANDS["sweep"] = ("train every point of a grid (e.g. lr × batch size) into one sweep folder, then print the table", _sweep_args)
COMMANDS["runs"] = ("list the recorded runs with their status and test accuracy", _runs_args)
COMMANDS["schedule"] = ("print the learning rate a preset's schedule gives each epoch", _preset_and_overrides)
COMMANDS["attach"] = ("open the console on a run that goes on in its own process (or a finished one): history, then live", live.attach_args)
COMMANDS["control"] = ("pause, resume, stop or set the learning rate of a run in another process", live.control_args)
COMMANDS["serve"] = (f"serve the console to a browser on localhost (needs {install_line('serve')})", live.serve_args)
COMMANDS["lr-find"] = ("the learning-rate range test: a short sweep of growing lr, the loss curve and a suggested lr", lr_find_args)
COMMANDS["summary"] = ("describe a run's curves in sentences: best epoch, trend, plateau, spikes, over-fitting", summary_args)
COMMANDS["memory"] = (memory_command.HELP, memory_command.memory_args)
COMMANDS["report"] = (report_command.HELP, report_command.report_args)
COMMANDS["export"] = (export_command.HELP, export_command.export_args)
COMMANDS["lesson"] = (LESSON_HELP, lesson_args)


TOP = "top_"  # the console's options given before any command are parsed under these dests


def build_parser() -> Parser:
    parser = Parser(
        prog="rdfia-tui",
        description="A terminal training console for PyTorch: presets, live training, layer tables and run records. "
        "Without a command it opens the console. Options before a command apply to it when it has them.",
        epilog="Examples: rdfia-tui --preset circles-mlp --start   |   rdfia-tui run circles-mlp --set optim.lr=0.1",
    )
    parser.add_argument("--version", action="version", version=f"rdfia-tui {__version__}")
    top = Parser(add_help=False)
    _tui_args(top)
    for action in top._actions:
        if action.nargs != 0:
            action.metavar = action.metavar or action.dest.upper()
        action.dest, action.default = TOP + action.dest, None
        parser._add_action(action)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    parser.commands = {}
    for name, (help_text, add_args) in COMMANDS.items():
        parser.commands[name] = sub.add_parser(name, help=help_text, description=help_text)
        add_args(parser.commands[name])
    return parser


def _dests(parser: argparse.ArgumentParser) -> dict[str, str]:
    """Each option's dest and its first flag."""
    return {a.dest: a.option_strings[0] for a in parser._actions if a.option_strings and a.dest != argparse.SUPPRESS and a.dest != "help"}


def _takes_value(parser: argparse.ArgumentParser, flag: str) -> bool:
    action = parser._option_string_actions.get(flag.split("=", 1)[0])
    return action is not None and action.nargs != 0 and "=" not in flag


def _command_index(parser: Parser, argv: list[str]) -> int | None:
    """Where the command word is: the first token naming a command that is not an option's value."""
    i = 0
    while i < len(argv):
        if argv[i] in parser.commands:
            return i
        if not argv[i].startswith("-"):
            return None  # not a command: argparse says so
        takes = _takes_value(parser, argv[i]) or any(_takes_value(c, argv[i]) for c in parser.commands.values())
        i += 2 if takes else 1
    return None


def hoist_command_options(parser: Parser, argv: list[str]) -> list[str]:
    """Options written before the command that only the command has (``--device``, ``--grid``…) move after it,
    so ``rdfia-tui --device cpu run circles-mlp`` means ``rdfia-tui run circles-mlp --device cpu``."""
    at = _command_index(parser, argv)
    if at is None:
        for token in argv:
            flag = token.split("=", 1)[0]
            owners = [name for name, c in parser.commands.items() if flag in c._option_string_actions]
            if token.startswith("-") and flag not in parser._option_string_actions and owners:
                example = f"'rdfia-tui {owners[0]} … {flag} …'"
                raise UsageError(f"{flag} is an option of {', '.join(repr(o) for o in owners)}; give the command first, e.g. {example}")
        return argv
    command = parser.commands[argv[at]]
    kept, moved, i = [], [], 0
    while i < at:
        flag = argv[i].split("=", 1)[0]
        own = flag in command._option_string_actions and flag not in parser._option_string_actions
        width = 2 if _takes_value(command if own else parser, argv[i]) else 1
        (moved if own else kept).extend(argv[i : i + width])
        i += width
    return [*kept, argv[at], *moved, *argv[at + 1 :]]


def merge_leading_options(parser: Parser, args: argparse.Namespace) -> argparse.Namespace:
    """Options written before the command apply to it (lists are joined, the command's own come last);
    an option the command does not have, or one given twice with two values, is a UsageError."""
    command = args.command or "tui"
    own = _dests(parser.commands[command])
    for dest, flag in _dests(parser.commands["tui"]).items():
        value = getattr(args, TOP + dest, None)
        delattr(args, TOP + dest)
        if value in (None, [], False):
            continue
        if dest not in own:
            where = f"give the preset after the command: rdfia-tui {command} PRESET" if dest == "preset" else "remove it"
            raise UsageError(f"{flag} is an option of the console, not of '{command}'; {where}")
        mine = getattr(args, dest, None)
        if isinstance(value, list):
            setattr(args, dest, [*value, *(mine or [])])
        elif mine not in (None, False) and mine != value:
            raise UsageError(f"{flag} is given twice, before and after '{command}', with two values ({value!r} and {mine!r})")
        else:
            setattr(args, dest, value)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; Ctrl-C before a command has started its run quits at once, in one line."""
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("rdfia-tui: interrupted", file=sys.stderr)
        return 130


def _main(argv: Sequence[str] | None = None) -> int:
    from rdfia_tui.cli.output import has_terminal, protect_streams, silence
    from rdfia_tui.engine.text_checks import shown

    protect_streams()
    parser = build_parser()
    try:
        args = parser.parse_args(hoist_command_options(parser, list(sys.argv[1:] if argv is None else argv)))
        if args.command is None:
            for dest in _dests(parser.commands["tui"]):
                setattr(args, dest, getattr(parser.commands["tui"].parse_args([]), dest))
        args = merge_leading_options(parser, args)
    except UsageError as exc:
        print(f"rdfia-tui: error: {shown(str(exc))}", file=sys.stderr)
        return 2
    if args.command is None:
        asked_for_the_console = bool(args.preset or args.overrides or args.start)
        if not has_terminal() and not asked_for_the_console:
            parser.print_help()  # no terminal to draw the console on: say what there is instead
            return 0
        args.command = "tui"  # without a terminal, cmd_tui checks the preset, then says the console needs one
    from rdfia_tui.cli import commands
    from rdfia_tui.cli.run_end import notify_url_kept
    from rdfia_tui.engine.errors import RdfiaError

    try:
        with notify_url_kept():
            return commands.HANDLERS[args.command](args)
    except RdfiaError as exc:
        print(f"rdfia-tui: error: {shown(str(exc))}", file=sys.stderr)  # a quoted key or name never acts on the terminal
        return exc.exit_code
    except BrokenPipeError:  # 'rdfia-tui presets | head': the reader left; say nothing more
        silence(sys.stdout)
        return 141
    except OSError as exc:  # the output itself failed ('> /dev/full'); every file the commands write is an RdfiaError
        silence(sys.stdout)
        print(f"rdfia-tui: error: could not write the output ({exc.strerror or exc})", file=sys.stderr)
        return 1
