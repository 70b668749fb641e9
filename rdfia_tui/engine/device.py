"""Resolving ``train.device`` to a torch.device that exists here."""

from __future__ import annotations

import torch

from rdfia_tui.engine.errors import DeviceError


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend and backend.is_available())


def resolve_device(name: str) -> torch.device:
    """``auto`` picks cuda, then mps, then cpu; an explicit device must exist."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps" if _mps_available() else "cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise DeviceError(f"train.device: got {name!r} but no CUDA GPU is available here; use --device cpu or auto")
        index = int(name.split(":")[1]) if ":" in name else 0
        if index >= torch.cuda.device_count():
            raise DeviceError(f"train.device: got {name!r} but only {torch.cuda.device_count()} CUDA device(s) exist; use cuda:0")
    if name == "mps" and not _mps_available():
        raise DeviceError("train.device: got 'mps' but Apple's MPS backend is not available here; use --device cpu or auto")
    return torch.device(name)


def describe_device(device: torch.device) -> str:
    """The device as recorded and shown: ``cuda[:N] (<GPU name>)`` for CUDA, else ``cpu`` or ``mps``."""
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return str(device)
