"""``rdfia-tui lr-find PRESET``: the learning-rate range test, its curve drawn in characters, the suggestion and
where the config's own lr sits. Importing this module does not import torch."""

from __future__ import annotations

import argparse
import math
import shutil
import sys
import textwrap
import time

from rdfia_tui.cli.config_args import resolve_config
from rdfia_tui.cli.text_plot import LABEL, log_plot
from rdfia_tui.engine.events import Event, LrProbe, Notice
from rdfia_tui.engine.lr_range import LrRange, LrSuggestion, report_lines

DEFAULTS = LrRange()


def lr_find_args(p: argparse.ArgumentParser) -> None:
    """The arguments of ``lr-find``."""
    p.add_argument("preset", help="a shipped preset name (see 'rdfia-tui presets') or a path to a .toml file")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE", help="override one key; repeatable")
    p.add_argument("--start-lr", type=float, default=DEFAULTS.start_lr, metavar="LR", help=f"first lr (default {DEFAULTS.start_lr:g})")
    p.add_argument("--end-lr", type=float, default=DEFAULTS.end_lr, metavar="LR", help=f"last lr (default {DEFAULTS.end_lr:g})")
    p.add_argument("--steps", type=int, default=DEFAULTS.steps, metavar="N",
                   help=f"steps from the first lr to the last, each a constant factor above the one before (default {DEFAULTS.steps})")
    p.add_argument("--runs-dir", help="where the run folder goes (default: $RDFIA_TUI_RUNS, then ./runs)")
    p.add_argument("--data-root", help="where datasets live (default: $RDFIA_TUI_DATA, then a per-user cache folder)")
    p.add_argument("--device", help="shorthand for --set train.device=DEVICE (auto, cpu, cuda, cuda:N, mps)")


class ProbeView:
    """The test's subscriber: notices as lines; on a terminal, one progress line rewritten in place."""

    def __init__(self) -> None:
        self.live = sys.stderr.isatty()
        self.last = 0.0

    def __call__(self, event: Event) -> None:
        if isinstance(event, Notice):
            self.clear()
            print(f"note: {event.message}")
        elif isinstance(event, LrProbe) and self.live and time.monotonic() - self.last > 0.2:
            self.last = time.monotonic()
            sys.stderr.write(f"\rstep {event.step}/{event.steps}  lr {event.lr:.3g}  loss {event.loss:.4g}   ")
            sys.stderr.flush()

    def clear(self) -> None:
        if self.live and self.last:
            sys.stderr.write("\r" + " " * 60 + "\r")
            sys.stderr.flush()


def cmd_lr_find(args: argparse.Namespace) -> int:
    cfg = resolve_config(args)
    sweep = LrRange(args.start_lr, args.end_lr, args.steps)  # ConfigError (exit 2) before any data is loaded
    t = cfg.train
    what = f"lr {sweep.start_lr:g} to {sweep.end_lr:g} over {sweep.steps} steps"
    say(f"{cfg.name}: lr range test, {cfg.optim.name}, batch {t.batch_size}, {what}")
    from rdfia_tui.engine.lr_find import find_lr

    view = ProbeView()
    try:
        result = find_lr(cfg, sweep, view, runs_dir=args.runs_dir, data_root=args.data_root)
    except KeyboardInterrupt:
        view.clear()
        print("rdfia-tui: interrupted; the steps so far are recorded", file=sys.stderr)
        return 130
    view.clear()
    probes = result.probes
    plot_width = max(20, min(64, columns() - LABEL - 1))
    for line in log_plot([p.lr for p in probes], [p.smoothed for p in probes], marks(result.found, cfg.optim.lr), width=plot_width):
        print(line)  # within the width already
    say("x: lr per step (log scale); y: smoothed training loss; s: suggested lr, d: divergence, c: the config's optim.lr")
    for line in report_lines(result.found, cfg.optim.lr, len(probes), result.seconds):
        say(line)
    say(f"run folder: {result.run_dir}")
    if result.status != "completed":
        print(f"rdfia-tui: lr-find {result.status}: {result.message}", file=sys.stderr)
    return {"completed": 0, "stopped": 130}.get(str(result.status), 1)


def columns() -> int:
    """The terminal's width in characters (COLUMNS, else the terminal's, else 80), at least 40."""
    return max(40, shutil.get_terminal_size().columns)


def say(text: str) -> None:
    """Print ``text`` wrapped at spaces to the terminal's width (a word longer than a line, such as a path, whole)."""
    print(textwrap.fill(text, columns(), break_on_hyphens=False, break_long_words=False, subsequent_indent="  "))


def marks(found: LrSuggestion | None, config_lr: float) -> dict[str, float]:
    """The plot's marked lrs: the suggestion, the divergence, the config's lr (those that exist)."""
    if found is None:
        return {}
    named = {"suggested": found.suggested_lr, "diverged": found.diverged_lr, "config": config_lr}
    return {name: lr for name, lr in named.items() if lr is not None and math.isfinite(lr) and lr > 0}
