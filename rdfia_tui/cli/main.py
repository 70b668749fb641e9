"""Argument parsing and dispatch; importing this module does not import torch."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from rdfia_tui import __version__

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


def _gradcheck_args(p: argparse.ArgumentParser) -> None:
    _preset_and_overrides(p)
    p.add_argument("--data-root", help="where datasets live")
    p.add_argument("--tolerance", type=float, default=1e-6, help="largest relative difference allowed (default 1e-6, in float64)")


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


def _resume_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run folder that was trained with train.checkpoint=epoch")
    p.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="train.epochs=N", help="train for more epochs than planned"
    )
    p.add_argument("--data-root", help="where datasets live (default: $RDFIA_TUI_DATA, then a per-user cache folder)")


def _runs_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--runs-dir", help="where run folders are (default: $RDFIA_TUI_RUNS, then ./runs)")


COMMANDS["tui"] = ("open the console (the default when no command is given)", _tui_args)
COMMANDS["run"] = ("train a preset headless, one line per epoch, and record the run", _run_args)
COMMANDS["resume"] = ("continue a stopped run from its last checkpoint (train.checkpoint=epoch), in its own folder", _resume_args)
COMMANDS["layers"] = ("print a preset's layer table: output shapes, parameters, receptive fields", _layers_args)
COMMANDS["gradcheck"] = ("compare the hand-written MLP gradients with autograd on one batch", _gradcheck_args)
COMMANDS["presets"] = ("list the shipped presets with their descriptions", lambda p: None)
COMMANDS["sweep"] = ("train every point of a grid (e.g. lr × batch size) into one sweep folder, then print the table", _sweep_args)
COMMANDS["runs"] = ("list the recorded runs with their status and test accuracy", _runs_args)
COMMANDS["schedule"] = ("print the learning rate a preset's schedule gives each epoch", _preset_and_overrides)


def build_parser() -> Parser:
    parser = Parser(
        prog="rdfia-tui",
        description="A terminal training console for PyTorch: presets, live training, layer tables and run records. "
        "Without a command it opens the console.",
        epilog="Examples: rdfia-tui --preset circles-mlp --start   |   rdfia-tui run circles-mlp --set optim.lr=0.1",
    )
    parser.add_argument("--version", action="version", version=f"rdfia-tui {__version__}")
    _tui_args(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name, (help_text, add_args) in COMMANDS.items():
        add_args(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from rdfia_tui.cli.output import protect_streams

    protect_streams()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        print(f"rdfia-tui: error: {exc}", file=sys.stderr)
        return 2
    if args.command is None:
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            parser.print_help()  # no terminal to draw the console on: say what there is instead
            return 0
        args.command = "tui"
    from rdfia_tui.cli import commands
    from rdfia_tui.engine.errors import RdfiaError

    try:
        return commands.HANDLERS[args.command](args)
    except RdfiaError as exc:
        print(f"rdfia-tui: error: {exc}", file=sys.stderr)
        return exc.exit_code
