"""When a run ends, decided in one place: diverged (a non-finite loss or weight), stopped (asked to),
early-stopped (its validation metric stopped improving), or completed (no rule fired by the last epoch).
Each rule returns an Ending (status, one-line message, where it diverged) or None to go on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from rdfia_tui.engine.data.splits import Splits
from rdfia_tui.engine.events import EpochMetrics, Patience
from rdfia_tui.engine.patience import best_text
from rdfia_tui.engine.runs.status import RunStatus


@dataclass(frozen=True)
class Divergence:
    """Where a run stopped being finite: ``found_in`` is "training loss", "weights", or a split's loss."""

    epoch: int
    step: int
    found_in: str

    def describe(self) -> str:
        """Where the run diverged, as the first clause of the ending's message."""
        if self.found_in == "training loss":
            return f"the loss became non-finite at epoch {self.epoch}, step {self.step}"
        if self.found_in == "weights":
            return f"the weights became non-finite at epoch {self.epoch}, step {self.step} (the epoch's last step)"
        return f"the {self.found_in} became non-finite after epoch {self.epoch} (last step {self.step}), though training steps were finite"

    def to_dict(self) -> dict[str, object]:
        """The divergence as summary.json's ``diverged_at``."""
        return {"epoch": self.epoch, "step": self.step, "found_in": self.found_in}


@dataclass(frozen=True)
class Ending:
    """How a run ends: its status, the one-line message, and for a divergence where it happened."""

    status: RunStatus
    message: str = ""
    diverged_at: Divergence | None = None


def diverged(where: Divergence, hint: str) -> Ending:
    """A DIVERGED Ending: where it happened, then ``hint``."""
    return Ending(RunStatus.DIVERGED, f"{where.describe()}; {hint}", where)


def initial_loss_rule(metrics: EpochMetrics, splits: Splits) -> Ending | None:
    """Epoch 0: a non-finite loss of the initial weights, before any step."""
    found = non_finite_loss(metrics, splits)
    if found is None:
        return None
    hint = f"the {found} of the initial weights is non-finite, before any step; "
    hint += "the inputs are probably too large: try --set data.normalize=standard"
    return diverged(Divergence(0, 0, found), hint)


def training_rule(epoch: int, diverged_step: int | None, stopped: bool, model: nn.Module, last_step: int, lr: float) -> Ending | None:
    """After an epoch's steps: a non-finite step loss, a stop request during the epoch, or non-finite weights."""
    if diverged_step is not None:
        return diverged(Divergence(epoch, diverged_step, "training loss"), lower_lr_hint(lr))
    if stopped:
        return Ending(RunStatus.STOPPED, f"stopped by request during epoch {epoch}; epochs 0-{epoch - 1} are recorded")
    if not weights_finite(model):  # the epoch's last update: no later loss could show it
        return diverged(Divergence(epoch, last_step, "weights"), lower_lr_hint(lr))
    return None


def metrics_rule(metrics: EpochMetrics, splits: Splits, last_step: int, lr: float) -> Ending | None:
    """After an epoch's evaluation: a non-finite loss on a split though every step was finite."""
    found = non_finite_loss(metrics, splits)
    return diverged(Divergence(metrics.epoch, last_step, found), lower_lr_hint(lr)) if found else None


def recorded_rule(epoch: int, epochs: int, stop_requested: bool) -> Ending | None:
    """After an epoch is recorded: a stop asked for at its end (the last epoch then completes the run)."""
    if stop_requested and epoch < epochs:
        return Ending(RunStatus.STOPPED, f"stopped by request after epoch {epoch}")
    return None


def early_stop_rule(patience: Patience | None, epoch: int, epochs: int) -> Ending | None:
    """After an epoch is recorded (and no stop was asked for): ``patience`` epochs in a row without improvement, before
    the last epoch (a run whose patience runs out at its last epoch has completed). In a distributed run every rank
    measured the same all-reduced metrics; the caller still takes rank 0's decision (World.agreed)."""
    if patience is None or patience.waited < patience.patience or epoch >= epochs:
        return None
    return Ending(RunStatus.EARLY_STOPPED, early_stop_reason(patience, epoch, epochs))


def early_stop_reason(p: Patience, epoch: int, epochs: int) -> str:
    """Why a run stopped early, in one line (summary.json's message and ``early_stop.reason``)."""
    best = f"best {best_text(p, 2)} at epoch {p.best_epoch}"
    return f"{p.metric} did not improve for {p.waited} epochs ({best}); stopped after epoch {epoch}/{epochs}"


COMPLETED = Ending(RunStatus.COMPLETED)  # every epoch trained and recorded, no rule fired


def lower_lr_hint(lr: float) -> str:
    """What to try after a divergence: a learning rate (per step) ten times lower than ``lr``."""
    return f"lr was {lr:g}: try a lower learning rate, e.g. --set optim.lr={lr / 10:g}"


def weights_finite(model: nn.Module) -> bool:
    """Every floating parameter and buffer (batch-norm statistics too) finite: one device sync."""
    tensors = [t for t in (*model.parameters(), *model.buffers()) if t.is_floating_point()]
    return bool(torch.stack([t.isfinite().all() for t in tensors]).all()) if tensors else True


def non_finite_loss(metrics: EpochMetrics, splits: Splits) -> str | None:
    """The first non-finite loss of a non-empty split ("training loss", "validation loss", "test loss"), or None."""
    for name, loss, split in (
        ("training loss", metrics.train_loss, splits.train),
        ("validation loss", metrics.val_loss, splits.val),
        ("test loss", metrics.test_loss, splits.test),
    ):
        if len(split) and not math.isfinite(loss):
            return name
    return None
