"""``rdfia-tui report RUN [RUN …] [--out FILE.html|FILE.md]``: a self-contained report of runs and sweeps to hand out
(engine.report); needs matplotlib, the ``report`` extra. Importing this module imports neither torch nor matplotlib."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "write a report of runs or sweeps to hand out: numbers, config, layers, curves, confusion matrix, lesson (HTML or Markdown)"


def report_args(p: argparse.ArgumentParser) -> None:
    """The arguments of ``report``."""
    p.add_argument("runs", metavar="RUN", nargs="+", help="a run or sweep folder that 'rdfia-tui runs' lists (a path or a name), "
                   "or 'latest' (the newest training run); several runs are compared")  # fmt: skip
    p.add_argument("--out", metavar="FILE", help="the report to write: FILE.html (one file, figures inside) or FILE.md "
                   "(figures as PNG files in FILE_files/); default report-<first run>.html here")  # fmt: skip
    p.add_argument("--runs-dir", help="where run names and 'latest' are looked up (default: $RDFIA_TUI_RUNS, then ./runs)")


def cmd_report(args: argparse.Namespace) -> int:
    from rdfia_tui.engine.report.figures import MatplotlibMissing
    from rdfia_tui.engine.report.gather import resolve_target
    from rdfia_tui.engine.report.write import check_destination, write_report_file
    from rdfia_tui.engine.runs.record import resolve_runs_dir

    out = Path(args.out).expanduser() if args.out else None
    check_destination(out)  # a wrong suffix or a folder it cannot write in is said before any run is read
    runs_dir = resolve_runs_dir(args.runs_dir)
    folders = [resolve_target(runs_dir, which) for which in args.runs]
    try:
        written = write_report_file(folders, out)
    except MatplotlibMissing as exc:  # its own line says what to install
        print(exc, file=sys.stderr)
        return exc.exit_code
    print(written.line())
    return 0
