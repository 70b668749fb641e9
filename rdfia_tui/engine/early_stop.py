"""Early stopping: the epochs since the watched validation metric last improved, the best epoch, and its weights.

The rule is Prechelt's "stop after p epochs without progress" (Early Stopping — But When?, 1998), with the course's
question Q18 (over-fitting) as the example. Epoch 0, the initial weights, counts as the first best. An improvement is
strictly better: a lower val_loss or a higher val_acc (0-1 fraction). The decision itself is engine.stop_rules'.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from rdfia_tui.engine.config import TrainConfig
from rdfia_tui.engine.events import EpochMetrics, Patience

LOWER_IS_BETTER = {"val_loss": True, "val_acc": False}


@dataclass
class EarlyStopping:
    """The counter of one run. ``best_weights`` (the plain model's state_dict, cloned on its device) is kept only with
    ``restore_best``; ``best_value`` is NaN until an epoch has been seen."""

    metric: str
    patience: int
    restore_best: bool
    waited: int = 0
    best_epoch: int = -1
    best_value: float = math.nan
    best_weights: dict[str, torch.Tensor] | None = None

    @classmethod
    def of(cls, train: TrainConfig) -> EarlyStopping | None:
        """The counter ``train`` asks for; None when ``train.early_stop_patience`` is 0 (off)."""
        if train.early_stop_patience <= 0:
            return None
        return cls(train.early_stop_metric, train.early_stop_patience, train.restore_best)

    def improves(self, value: float) -> bool:
        """Whether ``value`` beats the best so far (a non-finite value never does)."""
        if not math.isfinite(value):
            return False
        if self.best_epoch < 0:
            return True
        return value < self.best_value if LOWER_IS_BETTER[self.metric] else value > self.best_value

    def observe(self, metrics: EpochMetrics, model: nn.Module) -> Patience:
        """Count ``metrics``' epoch: a new best resets the counter (and copies ``model``'s weights with restore_best)."""
        value = getattr(metrics, self.metric)
        if self.improves(value):
            self.waited, self.best_epoch, self.best_value = 0, metrics.epoch, value
            if self.restore_best:
                self.best_weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            self.waited += 1
        return self.counter()

    def counter(self) -> Patience:
        """Where the counter stands, as the event carries it."""
        return Patience(self.metric, self.waited, self.patience, self.best_epoch, self.best_value)

    @property
    def exhausted(self) -> bool:
        """No improvement for ``patience`` epochs: the run should stop."""
        return self.waited >= self.patience

    def restore(self, model: nn.Module) -> int | None:
        """Put the best epoch's weights back into ``model``; the epoch restored, or None without saved weights."""
        if self.best_weights is None:
            return None
        model.load_state_dict(self.best_weights)
        return self.best_epoch

    # ---- checkpoints and records ---------------------------------------------------------------------
    def to_state(self) -> dict[str, Any]:
        """The counter for checkpoint.pt (tensors and plain values only: torch.load(weights_only=True) reads it)."""
        return {"waited": self.waited, "best_epoch": self.best_epoch, "best_value": self.best_value, "best_weights": self.best_weights}

    def load_state(self, state: dict[str, Any] | None, device: torch.device) -> None:
        """The counter a checkpoint saved (``best_weights`` moved to ``device``); None (an older checkpoint, or one
        written with early stopping off) starts the count afresh."""
        if not state:
            return
        self.waited, self.best_epoch, self.best_value = int(state["waited"]), int(state["best_epoch"]), float(state["best_value"])
        weights = state.get("best_weights")
        if self.restore_best and weights is not None:
            self.best_weights = {k: v.to(device) for k, v in weights.items()}

    def record(self) -> dict[str, Any]:
        """summary.json's ``early_stop``: the metric, the patience, the best epoch and value, and the counter now."""
        best = self.best_value if math.isfinite(self.best_value) else None
        return {"metric": self.metric, "patience": self.patience, "best_epoch": self.best_epoch, "best_value": best,
                "waited": self.waited, "restore_best": self.restore_best}  # fmt: skip
