"""``rdfia-tui export RUN [RUN …] --tensorboard DIR``: recorded runs replayed from their events.jsonl into TensorBoard
event files (engine.tensorboard_log), one folder per run. Importing this module does not import torch."""

from __future__ import annotations

import argparse
from pathlib import Path

from rdfia_tui.engine.extras import install_line

HELP = f"write recorded runs as TensorBoard event files, one folder per run (needs {install_line('tensorboard')})"


def export_args(p: argparse.ArgumentParser) -> None:
    """The arguments of ``export``."""
    p.add_argument("runs", nargs="+", metavar="RUN", help="a run folder that 'rdfia-tui runs' lists, 'latest', or a sweep folder "
                   "(each of its points)")  # fmt: skip
    p.add_argument("--tensorboard", metavar="DIR", required=True,
                   help="write each run into DIR/<run folder name>/ (a sweep's points into DIR/<sweep>/<point>/); "
                   "then 'tensorboard --logdir DIR'")  # fmt: skip
    p.add_argument("--runs-dir", help="where names and 'latest' are looked up (default: $RDFIA_TUI_RUNS, then ./runs)")


def named_folder(runs_dir: Path, which: str) -> Path | None:
    """``which`` as an existing folder: a path, or a name in ``runs_dir``; None when it is neither (or 'latest')."""
    if which == "latest":
        return None
    return next((f for f in (Path(which).expanduser(), runs_dir / which) if f.is_dir()), None)


def sweep_points(sweep: Path) -> list[Path]:
    """The run folders of a sweep folder, in name order. Raises RecordError when it has none."""
    from rdfia_tui.engine.errors import RecordError
    from rdfia_tui.engine.runs.listing import is_run_folder

    points = [child for child in sorted(sweep.iterdir()) if child.is_dir() and is_run_folder(child)]
    if not points:
        raise RecordError(f"{sweep} is a sweep folder without run folders; there is nothing to export")
    return points


def runs_to_export(runs_dir: Path, which: str) -> list[tuple[Path, Path]]:
    """(run folder, its folder under the export DIR, relative) for ``which``: a sweep gives each of its points under
    the sweep's name. Raises RecordError (one line) for a name that is no run, or a run without events.jsonl."""
    from rdfia_tui.engine.runs.listing import find_run

    folder = named_folder(runs_dir, which)
    if folder is not None and (folder / "sweep.json").is_file():
        found = [(point, Path(folder.name, point.name)) for point in sweep_points(folder)]
    else:
        run = find_run(runs_dir, which, training_first=True)
        found = [(run, Path(run.name))]
    for run, _ in found:
        check_events(run)
    return found


def check_events(run: Path) -> None:
    """Raise RecordError when ``run`` has no events.jsonl (recorded before runs kept their events)."""
    from rdfia_tui.engine.errors import RecordError
    from rdfia_tui.engine.live.stream import EVENTS_FILE

    if not (run / EVENTS_FILE).is_file():
        raise RecordError(f"{run} has no {EVENTS_FILE} (recorded by an older version); it cannot be exported")


def check_target(folder: Path) -> None:
    """Raise RecordError when ``folder`` holds TensorBoard event files already (a second export would show every
    curve twice)."""
    from rdfia_tui.engine.errors import RecordError

    if folder.is_dir() and any(folder.glob("events.out.tfevents.*")):
        raise RecordError(f"{folder} holds TensorBoard event files already; remove it, or export into another --tensorboard DIR")


def cmd_export(args: argparse.Namespace) -> int:
    """Check TensorBoard, every named run and its target first, then write each run and say where it went."""
    from rdfia_tui.engine.live.stream import EVENTS_FILE
    from rdfia_tui.engine.runs.record import resolve_runs_dir
    from rdfia_tui.engine.tensorboard_log import EXPORT_INSTALL_HINT, replay, require_tensorboard

    require_tensorboard(EXPORT_INSTALL_HINT, "--tensorboard")  # before any run is read: names export, not train.tensorboard
    runs_dir, out = resolve_runs_dir(args.runs_dir), Path(args.tensorboard).expanduser()
    found = dict.fromkeys(pair for which in args.runs for pair in runs_to_export(runs_dir, which))  # a run named twice goes once
    for _, name in found:
        check_target(out / name)
    for run, name in found:
        log = replay(run / EVENTS_FILE, out / name)
        unfinished = "" if log.finished else " (no end recorded yet: the HParams view comes with the run's end)"
        print(f"{run} -> {out / name}{unfinished}")
    print(f"view them with: tensorboard --logdir {out}")
    return 0
