"""``rdfia-tui summary RUN|latest``: a run's curves described in full sentences (engine.runs.describe); no torch."""

from __future__ import annotations

import argparse
import shutil
import textwrap


def summary_args(p: argparse.ArgumentParser) -> None:
    """The arguments of ``summary``."""
    p.add_argument("run", metavar="RUN", help="a run folder that 'rdfia-tui runs' lists, or 'latest' (the newest training run; "
                   "an lr range test only when there is no other run)")
    p.add_argument("--runs-dir", help="where 'latest' looks (default: $RDFIA_TUI_RUNS, then ./runs)")


def cmd_summary(args: argparse.Namespace) -> int:
    from rdfia_tui.engine.runs.describe import describe_run
    from rdfia_tui.engine.runs.listing import find_run
    from rdfia_tui.engine.runs.record import resolve_runs_dir

    description = describe_run(find_run(resolve_runs_dir(args.runs_dir), args.run, training_first=True))
    width = max(40, min(100, shutil.get_terminal_size().columns))
    for sentence in description.sentences:
        print(textwrap.fill(sentence, width, break_on_hyphens=False, break_long_words=False))
    return 0
