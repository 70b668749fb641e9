"""Typed events the engine emits while a run goes; screens and the CLI subscribe to them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class EpochMetrics:
    """One row of metrics.csv: epoch 0 is the evaluation before any training."""

    epoch: int
    train_loss: float
    train_acc: float
    val_loss: float
    val_acc: float
    test_loss: float
    test_acc: float
    lr: float
    seconds: float
    images_per_s: float

    @staticmethod
    def columns() -> tuple[str, ...]:
        """The field names in order: metrics.csv's header."""
        return tuple(EpochMetrics.__dataclass_fields__)


@dataclass(frozen=True)
class RunStarted:
    """The run is set up, before epoch 0: its folder, config, device, parameter count, layer rows, split sizes,
    planned epochs and optimiser steps per epoch."""

    run_dir: Path
    preset: str
    config: dict[str, Any]
    device: str
    params: int
    layers: list[dict[str, Any]]
    n_train: int
    n_val: int
    n_test: int
    epochs: int
    steps_per_epoch: int
    class_names: tuple[str, ...] = ()
    speed: str = ""  # e.g. "fp32, channels_last, eager"


@dataclass(frozen=True)
class BatchProgress:
    """Sent at most once per ``train.progress_interval`` seconds."""

    epoch: int
    step: int
    steps: int
    loss: float
    images_per_s: float
    eta_s: float  # seconds to the end of the run (training.eta_seconds: this epoch at its pace, then the last epoch's wall time each)
    losses: tuple[float, ...] = ()  # every step's loss since the previous BatchProgress
    gpu_peak_bytes: int = 0  # the run's peak of bytes allocated by torch on its CUDA device so far (memory.peak_allocated); 0 elsewhere


@dataclass(frozen=True)
class EvaluationProgress:
    """Sent at most once per ``train.progress_interval`` seconds while a split is evaluated.

    ``split`` is "train" (epoch 0 only), "val" or "test"; ``done`` and ``total`` count examples;
    ``elapsed_s`` is seconds since this split's evaluation began.
    """

    epoch: int
    split: str
    done: int
    total: int
    elapsed_s: float


@dataclass(frozen=True)
class Patience:
    """Early stopping after an epoch: ``waited`` epochs without improvement of ``metric`` ("val_loss" or "val_acc")
    out of ``patience``, and the best epoch so far with its value (a loss, or an accuracy as a 0-1 fraction)."""

    metric: str
    waited: int
    patience: int
    best_epoch: int
    best_value: float


@dataclass(frozen=True)
class EpochEnded:
    """One epoch's metrics; ``confusion[i][j]`` counts test examples of class i predicted as j; ``patience`` is the
    early-stopping counter after this epoch (None when early stopping is off)."""

    metrics: EpochMetrics
    epochs: int
    confusion: tuple[tuple[int, ...], ...] = ()
    patience: Patience | None = None


@dataclass(frozen=True)
class SamplePredictions:
    """A fixed handful of test images (uint8, (C, H, W) nested lists) with their true and predicted labels."""

    epoch: int
    images: tuple[tuple[tuple[tuple[int, ...], ...], ...], ...]
    true: tuple[int, ...]
    predicted: tuple[int, ...]
    class_names: tuple[str, ...]


@dataclass(frozen=True)
class PlanePoints:
    """For 2-D data: the training points to draw under the decision boundary (a sample)."""

    x: tuple[tuple[float, float], ...]
    y: tuple[int, ...]
    x_range: tuple[float, float]
    y_range: tuple[float, float]


@dataclass(frozen=True)
class BoundaryUpdated:
    """For 2-D data: the predicted class on a grid over the plane; rows go from top (high y) to bottom."""

    epoch: int
    classes: tuple[tuple[int, ...], ...]
    x_range: tuple[float, float]
    y_range: tuple[float, float]


@dataclass(frozen=True)
class Notice:
    """Something the user should know that does not stop the run."""

    message: str


@dataclass(frozen=True)
class CommandTaken:
    """The run took a command from a client (pause, resume, stop or set_lr), so every client sees the change.

    ``lr`` is the learning rate asked for (set_lr only; it applies from the next step, and a Notice says
    when); ``paused`` is whether the run is paused now; ``sender`` says where the command came from.
    """

    action: str
    paused: bool
    lr: float | None = None
    sender: str = ""


@dataclass(frozen=True)
class LrProbe:
    """One step of an lr range test (rdfia-tui lr-find): its 1-based step of ``steps`` planned, the lr it used (per
    step), the batch's mean loss and the smoothed loss (engine.lr_range.Smoother)."""

    step: int
    steps: int
    lr: float
    loss: float
    smoothed_loss: float


@dataclass(frozen=True)
class RunFinished:
    """The run ended; ``status`` is completed, early-stopped, stopped, diverged or failed."""

    run_dir: Path
    status: str
    message: str = ""
    summary: dict[str, Any] = field(default_factory=dict)


Event = (
    RunStarted | BatchProgress | EvaluationProgress | EpochEnded | SamplePredictions | PlanePoints | BoundaryUpdated | Notice | CommandTaken
    | LrProbe | RunFinished
)
Emit = Callable[[Event], None]


def ignore(event: Event) -> None:
    """An ``emit`` that drops every event."""
