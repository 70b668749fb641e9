"""``rdfia-tui lesson PRESET | --run RUN``: a preset's lesson with its quantities computed, headless; with a run,
the measured values too. No torch."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from rdfia_tui.engine.errors import ConfigError

HELP = "print a preset's lesson: the report's question, its errors corrected, and the formulas computed for the config"


def lesson_args(p: argparse.ArgumentParser) -> None:
    """The arguments of ``lesson``."""
    p.add_argument("preset", nargs="?", help="a shipped preset name (see 'rdfia-tui presets') or a path to a .toml file")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
                   help="override one key; the quantities follow it (e.g. --set model.conv_paddings=[2,2,2])")  # fmt: skip
    p.add_argument("--run", metavar="RUN", help="a recorded run ('rdfia-tui runs' lists them, or 'latest'): its lesson "
                   "with the measured values (loss at epoch 0, accuracy, gap, the lr it used)")  # fmt: skip
    p.add_argument("--runs-dir", help="where --run looks (default: $RDFIA_TUI_RUNS, then ./runs)")


def cmd_lesson(args: argparse.Namespace) -> int:
    from rdfia_tui.cli.config_args import resolve_config
    from rdfia_tui.engine.lessons.render import lesson_lines
    from rdfia_tui.engine.lessons.view import lesson_view
    from rdfia_tui.engine.presets import load_preset

    if args.run and args.preset:
        raise ConfigError("give a preset or --run RUN, not both: a run's lesson is the one it was started with")
    if args.run and args.overrides:
        raise ConfigError("--set changes a preset's config; a run's is the one it trained with: drop --set, or name a preset")
    if args.run:
        view = _run_view(args.run, args.runs_dir)
    elif args.preset and (Path(args.preset) / "summary.json").is_file():
        raise ConfigError(f"{args.preset} is a run folder; for the lesson of a run use: rdfia-tui lesson --run {args.preset}")
    elif args.preset:
        view = lesson_view(resolve_config(args), reference=load_preset(args.preset))  # the report's figures: the preset's network
    else:
        raise ConfigError("name a preset (rdfia-tui lesson cifar10-convnet) or a run (rdfia-tui lesson --run latest)")
    width = max(60, min(110, shutil.get_terminal_size().columns))
    print("\n".join(lesson_lines(view, width)))
    return 0


def _run_view(which: str, runs_dir: str | None):
    from rdfia_tui.engine.lessons.from_run import run_lesson
    from rdfia_tui.engine.runs.listing import find_run
    from rdfia_tui.engine.runs.record import resolve_runs_dir

    return run_lesson(Path(find_run(resolve_runs_dir(runs_dir), which, training_first=True)))
