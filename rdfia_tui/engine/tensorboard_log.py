"""TensorBoard event files for a run: a subscriber to the engine's events that writes through torch.utils.tensorboard.

What a run's ``tensorboard/`` folder holds (the global step in brackets):

- ``loss/train``, ``loss/val``, ``loss/test``, ``accuracy/train``, ``accuracy/val``, ``accuracy/test`` (0-1 fractions)
  and ``lr`` (per step) [the epoch; 0 is the evaluation before training]. A split the run does not have (no
  validation split with ``data.val_split = 0``: RunStarted's ``n_val`` is 0) is not written at all, rather than as NaN.
- ``loss/train_step``: every training step's loss [steps counted from the run's first training step, from 1:
  the last step of epoch ``e`` is ``e × steps_per_epoch``].
- ``confusion/test``: the test confusion matrix as an RGB heat map, rows true classes, each row as fractions of its
  class (white 0, dark blue 1) [the epoch].
- the HParams view, written once when the run ends: the keys the config uses (FieldSpec.used_by: no ``model.hidden``
  for a convnet, no ``optim.beta1`` for SGD) flattened to ``section.key`` names (lists as text such as ``[32, 64]``,
  booleans as ``true``/``false``) with ``preset`` and ``status``, against the metrics
  ``hparams/final_test_acc``, ``hparams/best_test_acc`` and ``hparams/final_{train,val,test}_loss``, all in the same
  folder as the curves (torch's ``add_hparams`` would put them in a timestamped subfolder, a second run in TensorBoard).

An epoch already written is not written again: a resumed run replays its history (EpochEnded of the epochs before
its checkpoint), which its first process wrote already. torch.utils.tensorboard is imported only when a writer is
made: without the ``tensorboard`` package, ``require_tensorboard`` raises ConfigError naming what needs it (the
``train.tensorboard`` key of a run, or ``rdfia-tui export --tensorboard``) and the install line.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rdfia_tui.engine.errors import ConfigError, RdfiaError, RecordError
from rdfia_tui.engine.events import BatchProgress, Emit, EpochEnded, EpochMetrics, Event, RunFinished, RunStarted
from rdfia_tui.engine.extras import install_line

TENSORBOARD_DIR = "tensorboard"  # in a run folder
INSTALL = install_line("tensorboard")  # as the README's Set up installs: from a clone
INSTALL_HINT = f"train.tensorboard needs TensorBoard: {INSTALL}"
EXPORT_INSTALL_HINT = f"rdfia-tui export --tensorboard needs TensorBoard: {INSTALL}"
SPLIT_SIZES = {"train": "n_train", "val": "n_val", "test": "n_test"}  # a split's RunStarted field: written when it is > 0
STEP_TAG, CONFUSION_TAG, METRIC_PREFIX = "loss/train_step", "confusion/test", "hparams/"
# heavy events the subscriber never reads: a replay decodes only the last of each (EventReader.read's superseded)
UNUSED_EVENTS = frozenset({"BoundaryUpdated", "SamplePredictions", "PlanePoints", "EvaluationProgress"})
LOW, HIGH = np.array([255.0, 255.0, 255.0]), np.array([8.0, 48.0, 107.0])  # heat-map colours of 0 and 1 (RGB)
IMAGE_SIDE = 256  # pixels the confusion image aims at (each cell is at least 4)


def require_tensorboard(hint: str = INSTALL_HINT, key: str = "train.tensorboard") -> None:
    """Raise ConfigError (``hint``: what needs TensorBoard and how to install it; ``key``: the setting or option that
    asked for it) when the ``tensorboard`` package is not installed."""
    if importlib.util.find_spec("tensorboard") is None:
        raise ConfigError(hint, key=key)


# ---- what is written ---------------------------------------------------------------------------
def epoch_scalars(metrics: EpochMetrics, splits: tuple[str, ...]) -> dict[str, float]:
    """The per-epoch scalars of ``metrics`` by tag: loss and accuracy (0-1) of each of ``splits``, and the lr."""
    scalars = {}
    for split in splits:
        scalars[f"loss/{split}"] = getattr(metrics, f"{split}_loss")
        scalars[f"accuracy/{split}"] = getattr(metrics, f"{split}_acc")
    return scalars | {"lr": metrics.lr}


def present_splits(started: RunStarted) -> tuple[str, ...]:
    """The splits ``started`` has examples in, in the order train, val, test."""
    return tuple(split for split, size in SPLIT_SIZES.items() if getattr(started, size) > 0)


def step_losses(event: BatchProgress, steps_per_epoch: int) -> list[tuple[int, float]]:
    """(global step, loss) of each step ``event`` reports; global steps count from the run's first step, from 1.
    An event without per-step losses (an older record) gives its mean loss at its own step."""
    last = (event.epoch - 1) * steps_per_epoch + event.step
    losses = event.losses or (event.loss,)
    first = last - len(losses) + 1
    return [(first + offset, loss) for offset, loss in enumerate(losses)]


def confusion_image(matrix: tuple[tuple[int, ...], ...] | list[list[int]]) -> np.ndarray:
    """A K×K confusion matrix (rows true classes) as an RGB heat map, uint8 of shape (K·c, K·c, 3) with c pixels a
    cell (c = max(4, 256 // K)). Each row is shown as fractions of its class's examples; an empty row is white.
    Raises ValueError for a matrix that is not square."""
    counts = np.asarray(matrix, dtype=np.float64)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1]:
        raise ValueError(f"a confusion matrix is square, got shape {counts.shape}")
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    rgb = LOW + shares[..., None] * (HIGH - LOW)
    cell = max(4, IMAGE_SIDE // max(1, len(counts)))
    return np.repeat(np.repeat(rgb, cell, axis=0), cell, axis=1).round().astype(np.uint8)


def hparam_value(value: Any) -> str | int | float:
    """A config value as the HParams view holds it: numbers as they are, booleans as true/false, lists as [a, b]."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return value
    if isinstance(value, list | tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def flat_config(config: Mapping[str, Any]) -> dict[str, str | int | float]:
    """The sections of a config mapping (RunConfig.to_dict) as ``section.key`` → hparam_value; name and description
    (not sections) are left out."""
    return {f"{section}.{key}": hparam_value(value)
            for section, values in config.items() if isinstance(values, dict) for key, value in values.items()}  # fmt: skip


def unused_keys(config: Mapping[str, Any]) -> frozenset[str]:
    """The ``section.key`` names a config mapping (RunConfig.to_dict) holds but does not use (FieldSpec.used_by: an
    MLP's conv_channels, SGD's beta1). A record this version cannot read as a config (an older key) gives none: every
    key is kept rather than one dropped wrongly."""
    from rdfia_tui.engine.config import SECTIONS, field_specs, from_mapping

    try:
        cfg = from_mapping({name: value for name, value in config.items() if name in SECTIONS})
    except RdfiaError:
        return frozenset()
    return frozenset(spec.key for spec in field_specs() if not spec.used_by(cfg))


def used_config(config: Mapping[str, Any]) -> dict[str, str | int | float]:
    """flat_config of the keys ``config`` uses (unused_keys left out)."""
    unused = unused_keys(config)
    return {key: value for key, value in flat_config(config).items() if key not in unused}


def final_metrics(summary: Mapping[str, Any], last: EpochMetrics | None, splits: tuple[str, ...]) -> dict[str, float]:
    """The HParams view's metrics: final and best test accuracy (0-1) from summary.json's mapping, and the last
    epoch's loss of each of ``splits``; a value the run never had (no epoch measured) is left out."""
    found = {"final_test_acc": summary.get("final_test_acc"), "best_test_acc": summary.get("best_test_acc")}
    if last is not None:
        found |= {f"final_{split}_loss": getattr(last, f"{split}_loss") for split in splits}
    return {METRIC_PREFIX + name: float(v) for name, v in found.items() if isinstance(v, int | float) and math.isfinite(v)}


# ---- the subscriber ----------------------------------------------------------------------------
@dataclass
class _Seen:
    """What the subscriber keeps between events."""

    splits: tuple[str, ...] = tuple(SPLIT_SIZES)
    steps_per_epoch: int = 0
    config: dict[str, Any] | None = None
    preset: str = ""
    last: EpochMetrics | None = None
    written_through: int = -1  # the last epoch whose scalars are in the folder


class TensorBoardLog:
    """An Emit that writes the events it is given into TensorBoard event files in ``log_dir`` (see the module's
    docstring for the tags). ``resumed_after``: the epoch a resumed run continues after; its earlier epochs are in
    the folder already. Closes its writer at RunFinished (``close`` is safe to call again).

    Raises ConfigError when TensorBoard is not installed, RecordError when ``log_dir`` cannot be created.
    """

    def __init__(self, log_dir: Path, *, resumed_after: int | None = None) -> None:
        require_tensorboard()
        from torch.utils.tensorboard import SummaryWriter

        try:
            log_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RecordError(f"could not create {log_dir} for TensorBoard ({exc.strerror or exc})") from None
        self.log_dir = log_dir
        self.writer: Any = SummaryWriter(log_dir=str(log_dir))
        self.seen = _Seen(written_through=-1 if resumed_after is None else resumed_after)
        self.finished = False

    def __call__(self, event: Event) -> None:
        handler = _HANDLERS.get(type(event))
        if handler is not None and self.writer is not None:
            handler(self, event)

    def started(self, event: RunStarted) -> None:
        """Keep the run's splits, steps per epoch and config for what follows."""
        self.seen.splits, self.seen.steps_per_epoch = present_splits(event), event.steps_per_epoch
        self.seen.config, self.seen.preset = event.config, event.preset

    def progressed(self, event: BatchProgress) -> None:
        """The training loss of each step the event reports."""
        for step, loss in step_losses(event, self.seen.steps_per_epoch or event.steps):
            self.writer.add_scalar(STEP_TAG, loss, step)

    def epoch_ended(self, event: EpochEnded) -> None:
        """The epoch's scalars and test confusion image, unless the epoch is written already (a resume's replay)."""
        epoch = event.metrics.epoch
        self.seen.last = event.metrics
        if epoch <= self.seen.written_through:
            return
        for tag, value in epoch_scalars(event.metrics, self.seen.splits).items():
            self.writer.add_scalar(tag, value, epoch)
        if event.confusion:
            self.writer.add_image(CONFUSION_TAG, confusion_image(event.confusion), epoch, dataformats="HWC")
        self.seen.written_through = epoch

    def ended(self, event: RunFinished) -> None:
        """The HParams view (when the run's config is known), then close the writer."""
        if self.seen.config is not None:
            self.write_hparams(event)
        self.finished = True
        self.close()

    def write_hparams(self, event: RunFinished) -> None:
        """The config and final metrics into this run's own event file (not a subfolder, as add_hparams would)."""
        from torch.utils.tensorboard.summary import hparams

        values = {"preset": self.seen.preset, "status": str(event.status), **used_config(self.seen.config or {})}
        metrics = final_metrics(event.summary, self.seen.last, self.seen.splits)
        step = self.seen.last.epoch if self.seen.last is not None else 0
        for proto in hparams(values, metrics):
            self.writer.file_writer.add_summary(proto, step)
        for tag, value in metrics.items():
            self.writer.add_scalar(tag, value, step)

    def close(self) -> None:
        """Flush and close the event file; later events are dropped."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None


_HANDLERS: dict[type, Callable[[TensorBoardLog, Any], None]] = {
    RunStarted: TensorBoardLog.started,
    BatchProgress: TensorBoardLog.progressed,
    EpochEnded: TensorBoardLog.epoch_ended,
    RunFinished: TensorBoardLog.ended,
}


def fan_out(*emits: Emit) -> Emit:
    """An Emit that hands every event to each of ``emits`` in order."""

    def emit(event: Event) -> None:
        for each in emits:
            each(event)

    return emit


@contextmanager
def tensorboard_logged(forward: Emit, run_dir: Path, *, enabled: bool, resumed_after: int | None = None) -> Iterator[Emit]:
    """While inside, every event reaches ``forward``, then a TensorBoardLog in ``run_dir``/tensorboard; the writer is
    closed on leaving, after an error too. Not ``enabled``: yields ``forward`` itself. ``resumed_after``: a resumed
    run's last checkpointed epoch, whose history is not written again if the folder exists (a run that wrote none
    before its resume gets its replayed epochs). Raises what TensorBoardLog raises."""
    if not enabled:
        yield forward
        return
    folder = run_dir / TENSORBOARD_DIR
    log = TensorBoardLog(folder, resumed_after=resumed_after if folder.is_dir() else None)
    try:
        yield fan_out(forward, log)
    finally:
        log.close()


# ---- a recorded run ----------------------------------------------------------------------------
def replay(events_file: Path, log_dir: Path) -> TensorBoardLog:
    """Write the events recorded in ``events_file`` (a run's events.jsonl) as TensorBoard event files into ``log_dir``.
    Returns the closed log (``finished``: the record held the run's end, so the HParams view is written).
    Raises ConfigError (TensorBoard not installed: EXPORT_INSTALL_HINT), RecordError (``log_dir`` cannot be created)."""
    from rdfia_tui.engine.live.stream import EventReader

    require_tensorboard(EXPORT_INSTALL_HINT, "--tensorboard")
    log = TensorBoardLog(log_dir)
    try:
        for event in EventReader(events_file).read(superseded=UNUSED_EVENTS):
            log(event)
    finally:
        log.close()
    return log
