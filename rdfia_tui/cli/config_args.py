"""The config a command's arguments name: its preset, its --set overrides and --device."""

from __future__ import annotations

import argparse

from rdfia_tui.engine.config import RunConfig, apply_overrides
from rdfia_tui.engine.presets import load_preset


def resolve_config(args: argparse.Namespace) -> RunConfig:
    """``args.preset`` with ``args.overrides`` ("key=value") and ``args.device`` (if any) applied.
    ConfigError (one line, exit 2) for an unknown preset, key or value."""
    cfg = load_preset(args.preset)
    overrides = list(args.overrides)
    if getattr(args, "device", None):
        overrides.append(f"train.device={args.device}")
    return apply_overrides(cfg, overrides)
