"""A data fingerprint: enough to tell that a resumed run trains on the data it started on.

Sizes, input shape and class names, a SHA-256 of every label and of an evenly spread sample of
inputs per split. It is stored in the checkpoint and in summary.json; ``rdfia-tui resume``
refuses data whose fingerprint differs, naming what differs.
"""

from __future__ import annotations

import hashlib
from typing import Any

import torch

from rdfia_tui.engine.data.splits import Splits

SAMPLES = 64
SPLIT_NAMES = {"train": "training", "val": "validation", "test": "test"}


def _sha256(t: torch.Tensor) -> str:
    raw = t.detach().cpu().contiguous()
    return hashlib.sha256(raw.reshape(-1).view(torch.uint8).numpy().tobytes()).hexdigest()


def data_fingerprint(splits: Splits, samples: int = SAMPLES) -> dict[str, Any]:
    """Sizes, shape, classes and hashes of ``splits`` (before ZCA or augmentation)."""
    out: dict[str, Any] = {"input_shape": list(splits.input_shape), "class_names": list(splits.class_names)}
    for name in SPLIT_NAMES:
        split = getattr(splits, name)
        n = len(split)
        idx = torch.linspace(0, n - 1, min(samples, n)).round().long().to(split.y.device) if n else None
        out[name] = {
            "n": n,
            "labels_sha256": _sha256(split.y),
            "inputs_sha256": _sha256(split.x[idx]) if idx is not None else "",
        }
    return out


def _shape(values: list[int]) -> str:
    return "×".join(map(str, values))


def fingerprint_difference(before: dict[str, Any], now: dict[str, Any]) -> str | None:
    """What differs between two fingerprints, in words; None when they agree."""
    if before["input_shape"] != now["input_shape"]:
        return f"the inputs are {_shape(now['input_shape'])}, not {_shape(before['input_shape'])}"
    if before["class_names"] != now["class_names"]:
        return f"the classes are {', '.join(now['class_names'][:5])}…, not {', '.join(before['class_names'][:5])}…"
    for name, words in SPLIT_NAMES.items():
        old, new = before[name], now[name]
        if old["n"] != new["n"]:
            return f"the {words} split has {new['n']} examples, not {old['n']}"
        if old["labels_sha256"] != new["labels_sha256"]:
            return f"the {words} labels differ"
        if old["inputs_sha256"] != new["inputs_sha256"]:
            return f"the {words} inputs differ"
    return None
