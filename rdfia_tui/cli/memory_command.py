"""``rdfia-tui memory PRESET``: the memory a config will need at its peak, against the free memory, before it trains."""

from __future__ import annotations

import argparse

from rdfia_tui.cli.config_args import resolve_config
from rdfia_tui.engine.memory_fit import WONT_FIT, describe, size


def memory_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("preset", help="a shipped preset name (see 'rdfia-tui presets') or a path to a .toml file")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE", help="override one key; repeatable")
    p.add_argument("--data-root", help="where datasets live (default: $RDFIA_TUI_DATA, then a per-user cache folder)")
    p.add_argument("--device", help="shorthand for --set train.device=DEVICE (auto, cpu, cuda, cuda:N)")
    p.add_argument("--json", action="store_true", help="print the estimate as one JSON object (what the console reads)")


HELP = "estimate the memory a config needs (data, ZCA, one training step) against the free memory: safe, tight or will not fit"


def cmd_memory(args: argparse.Namespace) -> int:
    """Print the estimate; exit status 1 when it will not fit, 0 otherwise."""
    from rdfia_tui.engine.memory_estimate import estimate

    cfg = resolve_config(args)
    found = estimate(cfg, args.data_root)
    if args.json:
        print(found.to_json())
    else:
        print(f"{cfg.name}: {describe(found)}")
        print(f"step measured as {found.method}; peak = max(loading, data + ZCA, data trained on + step) = {size(found.peak_bytes)}; "
              f"estimated in {found.seconds:.1f} s")  # fmt: skip
    return 1 if found.verdict == WONT_FIT else 0
