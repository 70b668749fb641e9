"""Checkpoints for exact resume: model, optimiser, learning-rate state and every RNG, saved atomically.

With ``train.checkpoint = "epoch"``, ``checkpoint.pt`` in the run folder is replaced after each
epoch (written to a temporary file, flushed, then renamed). It holds only tensors and plain
Python values, so ``torch.load(weights_only=True)`` reads it.
"""

from __future__ import annotations

import io
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Protocol

import torch

from rdfia_tui.engine.errors import RecordError
from rdfia_tui.engine.events import EpochMetrics
from rdfia_tui.engine.runs.files import atomic_replace
from rdfia_tui.engine.runs.record import RunRecord
from rdfia_tui.engine.runs.resume import checkpoint_path, no_checkpoint

VERSION = 1


class Trained(Protocol):
    """What a checkpoint captures and restores (engine.setup.RunSetup is one): the plain model, its optimiser,
    the shuffling/augmentation generator, and the input pipeline that may hold a device-side generator."""

    model: torch.nn.Module
    optimiser: Any  # torch.optim.Optimizer or the hand-written SGD: both have state_dict/load_state_dict
    generator: torch.Generator
    pipeline: Any  # data.pipeline.InputPipeline
    device: torch.device


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
    """Put back torch's global CPU RNG, the shuffling generator and, when saved and CUDA is here, the CUDA RNGs
    (the device-side augmentation generator is the pipeline's to restore)."""
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
    """``run_dir``'s checkpoint.pt as a mapping (weights_only, on the CPU). Raises RecordError (one line) when it is
    missing, unreadable, or of another VERSION."""
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
    """EpochMetrics as plain dicts, for the checkpoint."""
    return [asdict(m) for m in epochs]


def metrics_from_rows(rows: list[dict[str, float]]) -> list[EpochMetrics]:
    """The EpochMetrics that :func:`metrics_rows` saved."""
    return [EpochMetrics(**row) for row in rows]


@dataclass
class TrainingState:
    """What exact resume needs, each key named once: ``capture`` writes it, ``restore`` reads it back.

    ``lr_scale``: a learning rate set by hand mid-run rescales the schedule from then on (lr used =
    schedule(epoch) × lr_scale). ``epochs``, ``confusions``, ``lr_changes``, ``started`` and ``resumed``
    are the record's history, so a resumed run's records equal an uninterrupted run's.
    """

    epoch: int
    model: dict[str, Any]
    optimiser: dict[str, Any]
    rng: dict[str, Any]
    lr_scale: float
    epochs: list[dict[str, float]]
    confusions: list[list[list[int]]]
    lr_changes: list[dict[str, float]]
    started: float
    resumed: list[dict[str, float]] = field(default_factory=list)
    data_fingerprint: dict[str, Any] | None = None  # None in checkpoints written before fingerprints
    world_size: int = 1  # processes that trained it (engine.distributed); a resume needs as many
    early_stop: dict[str, Any] | None = None  # early stopping's counter and best weights (EarlyStopping.to_state); None when off

    @classmethod
    def capture(
        cls, epoch: int, setup: Trained, record: RunRecord, lr_scale: float, early_stop: dict[str, Any] | None = None
    ) -> TrainingState:
        """The state after ``epoch``: weights, optimiser, every RNG, ``lr_scale``, the record's history and ``early_stop``."""
        return cls(
            epoch=epoch,
            model=setup.model.state_dict(),
            optimiser=setup.optimiser.state_dict(),
            rng=rng_states(setup.generator, setup.pipeline.device_generator),
            lr_scale=lr_scale,
            epochs=metrics_rows(record.epochs),
            confusions=record.test_confusion,
            lr_changes=record.lr_changes,
            started=record.started,
            resumed=record.resumed or [],
            data_fingerprint=record.data_fingerprint,
            world_size=int(record.world.get("world_size", 1)),
            early_stop=early_stop,
        )

    def restore(self, setup: Trained, record: RunRecord) -> None:
        """Put the weights, optimiser, RNGs and history back; the record notes this resume."""
        setup.model.load_state_dict(self.model)
        setup.optimiser.load_state_dict(self.optimiser)
        restore_rng(self.rng, setup.generator)
        if self.rng.get("device_generator") is not None:
            setup.pipeline.restore_device_generator(setup.device, self.rng["device_generator"])
        record.epochs = metrics_from_rows(self.epochs)
        record.test_confusion.extend(self.confusions)
        record.lr_changes.extend(self.lr_changes)
        record.resumed = [*self.resumed, {"after_epoch": self.epoch, "at": time.time()}]

    def save(self, run_dir: Path) -> None:
        """Replace the run folder's checkpoint.pt atomically; raises RecordWriteError when the disk refuses."""
        save_checkpoint(run_dir, {f.name: getattr(self, f.name) for f in fields(self)})

    @classmethod
    def load(cls, run_dir: Path) -> TrainingState:
        """Raises RecordError (one line) for a missing, foreign or damaged checkpoint."""
        state = load_checkpoint(run_dir)
        names = {f.name for f in fields(cls)}
        try:
            return cls(**{k: v for k, v in state.items() if k in names})
        except TypeError:
            raise RecordError(f"{checkpoint_path(run_dir)} lacks some of its keys; start the run again") from None

