"""Classification losses on logits: softmax cross-entropy and softmax-vs-one-hot MSE."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of -log softmax(logits)[target]."""
    return F.cross_entropy(logits, target)


def mse(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of ||softmax(logits) - onehot(target)||², the course's MSE (Q8-9)."""
    # half-precision logits are promoted; float32 and float64 are kept as they are
    probs = torch.softmax(logits if logits.dtype in (torch.float32, torch.float64) else logits.float(), dim=1)
    onehot = F.one_hot(target, probs.shape[1]).to(probs.dtype)
    return (probs - onehot).pow(2).sum(dim=1).mean()
