"""Memory: what a step of set-up will need, what the machine has free, and allocation failures as one line.

``free_bytes`` reads the operating system (``MemAvailable`` in /proc/meminfo, bounded by a cgroup
limit when the process runs in a container) or the CUDA driver. ``setting_up`` turns an allocation
failure inside a set-up step (NumPy's MemoryError, torch's out-of-memory errors, the CPU allocator's
"can't allocate memory") into a ResourceError naming the step and what to change.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch

from rdfia_tui.engine.errors import ResourceError

GB = 1e9
_ALLOCATION_FAILURE = re.compile(r"can't allocate memory|not enough memory|out of memory|Cannot allocate memory|std::bad_alloc", re.I)

# what to change when a set-up step runs out of memory
STEP_HINTS = {
    "loading the data": "use fewer examples (data.limit_train), smaller images (data.image_size), or data.stream=true for an image folder",
    "whitening the images (ZCA)": "use smaller images or data.normalize=standard instead of data.zca",
    "building the model": "make the network smaller (model.hidden, model.fc or model.conv_channels)",
    "normalising the data": "use fewer examples (data.limit_train) or smaller images",
}


def _meminfo_available(path: str = "/proc/meminfo") -> float | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return float(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _cgroup_room(folder: str = "/sys/fs/cgroup") -> float | None:
    """What a cgroup v2 memory limit leaves (limit − usage), or None when there is no limit."""
    try:
        limit = Path(folder, "memory.max").read_text().strip()
        if limit == "max":
            return None
        return float(limit) - float(Path(folder, "memory.current").read_text())
    except (OSError, ValueError):
        return None


def free_bytes(device: torch.device) -> float | None:
    """Bytes free for new tensors on ``device``; None when it cannot be told (the check is then skipped)."""
    if device.type == "cuda":
        return float(torch.cuda.mem_get_info(device)[0])
    if device.type != "cpu":
        return None
    known = [v for v in (_meminfo_available(), _cgroup_room()) if v is not None]
    return min(known) if known else None


def peak_allocated(device: torch.device) -> int:
    """The most bytes torch has held allocated on a CUDA ``device`` since the process began
    (torch.cuda.max_memory_allocated: reading it does not synchronise); 0 on any other device."""
    return int(torch.cuda.max_memory_allocated(device)) if device.type == "cuda" else 0


def zca_bytes(n_examples: int, dims: int, chunk: int = 4096) -> float:
    """Peak bytes of fitting and applying ZCA to ``n_examples`` of ``dims`` values (float64 fit, float32 result).

    Five D×D float64 matrices (covariance, eigh's copy and eigenvectors, workspace, W), one float64
    chunk of the data, and the whitened float32 copy of every example.
    """
    return 8.0 * (5 * dims * dims + 2 * min(chunk, n_examples) * dims) + 4.0 * n_examples * dims


def check_zca_fits(shape: tuple[int, ...], n_examples: int, device: torch.device) -> None:
    """Refuse ZCA in one line when its estimate exceeds the free memory of ``device``."""
    dims = 1
    for d in shape:
        dims *= d
    need, free = zca_bytes(n_examples, dims), free_bytes(device)
    if free is None or need <= free:
        return
    size = "×".join(map(str, shape))
    half = dims // 4
    raise ResourceError(
        f"data.zca: whitening {n_examples:,} images of {size} needs about {need / GB:.1f} GB (D×D matrices with D = {dims:,}) "
        f"but about {free / GB:.1f} GB is free on {device.type}; use images half the size (D = {half:,}, about "
        f"{zca_bytes(n_examples, half) / GB:.1f} GB; data.image_size for an image folder) or data.normalize=standard instead",
        key="data.zca",
    )


def is_allocation_failure(exc: BaseException) -> bool:
    """Whether ``exc`` means out of memory: MemoryError, torch.OutOfMemoryError, or an allocator's RuntimeError."""
    if isinstance(exc, MemoryError | torch.OutOfMemoryError):
        return True
    return isinstance(exc, RuntimeError) and bool(_ALLOCATION_FAILURE.search(str(exc)))


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    text = re.sub(r"^\[enforce fail at [^\]]*\]\s*(err == 0\.\s*)?", "", text)
    return (text[:140] + "…") if len(text) > 140 else text or type(exc).__name__


@contextmanager
def setting_up(step: str, device: torch.device | None = None) -> Iterator[None]:
    """Inside, an allocation failure becomes a ResourceError: the step, the allocator's words, what to change."""
    try:
        yield
    except (MemoryError, RuntimeError) as exc:
        if not is_allocation_failure(exc):
            raise
        where = f" on {device.type}" if device is not None else ""
        raise ResourceError(f"out of memory while {step}{where} ({_short(exc)}); {STEP_HINTS[step]}") from None
