"""Checkpoints for exact resume: model, optimiser, learning-rate state and every RNG, saved atomically.

With ``train.checkpoint = "epoch"``, ``checkpoint.pt`` in the run folder is replaced after each
epoch (written to a temporary file, flushed, then renamed). It holds only tensors and plain
Python values, so ``torch.load(weights_only=True)`` reads it.
"""

from __future__ import annotations

import io
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from rdfia_tui.engine.errors import RecordError
from rdfia_tui.engine.events import EpochMetrics
from rdfia_tui.engine.runs.files import atomic_replace
from rdfia_tui.engine.runs.resume import checkpoint_path, no_checkpoint

VERSION = 1


def rng_states(generator: torch.Generator, device_generator: torch.Generator | None) -> dict[str, Any]:
    """Every random stream a run draws from: torch's global CPU RNG (dropout, init), the shuffling
    and augmentation generator, a device-side augmentation generator, and the CUDA RNGs."""
    return {
        "torch": torch.get_rng_state(),
        "generator": generator.get_state(),
        "device_generator": device_generator.get_state() if device_generator is not None else None,
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() and torch.cuda.is_initialized() else None,
    }


def restore_rng(states: dict[str, Any], generator: torch.Generator) -> None:
    torch.set_rng_state(states["torch"])
    generator.set_state(states["generator"])
    if states.get("cuda") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


def save_checkpoint(run_dir: Path, state: dict[str, Any]) -> None:
    """Replace ``checkpoint.pt`` whole: a reader sees the previous checkpoint or this one, never a mix.

    Serialised in memory first, so a full disk is a plain OSError (RecordWriteError), not torch's
    zip-writer failure.
    """
    buffer = io.BytesIO()
    torch.save({"version": VERSION, **state}, buffer)
    atomic_replace(checkpoint_path(run_dir), lambda fh: fh.write(buffer.getbuffer()))


def load_checkpoint(run_dir: Path) -> dict[str, Any]:
    path = checkpoint_path(run_dir)
    if not path.is_file():
        raise no_checkpoint(run_dir)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a foreign or damaged file: say so in one line
        raise RecordError(f"{path} cannot be read ({type(exc).__name__}); start the run again") from None
    if not isinstance(state, dict) or state.get("version") != VERSION:
        raise RecordError(f"{path} was written by another version of rdfia-tui; start the run again")
    return state


def metrics_rows(epochs: list[EpochMetrics]) -> list[dict[str, float]]:
    return [asdict(m) for m in epochs]


def metrics_from_rows(rows: list[dict[str, float]]) -> list[EpochMetrics]:
    return [EpochMetrics(**row) for row in rows]
