"""The memory a config will need before it trains: its data (sized from file headers, never loaded), ZCA's
matrices, and one training step measured on random batches of the real shape (two small ones, extrapolated).

How the step is measured:

* **CUDA**: a dry run of one step (forward, backward, optimiser update) between
  ``torch.cuda.reset_peak_memory_stats`` and ``torch.cuda.max_memory_allocated``: the allocator's own peak,
  everything the step held at once (weights, gradients, optimiser state, activations, workspaces).
* **CPU**: torch's CPU allocator keeps no statistics (and tracemalloc sees only Python's own allocations), so
  the step is counted from the tensors themselves: weights and buffers, one gradient per trainable weight,
  the optimiser's state after one step (its ``state_dict``'s tensors), the batch, and the activations autograd
  keeps for the backward pass, read with ``torch.autograd.graph.saved_tensors_hooks`` during a forward pass
  (each storage counted once, weights left out), plus twice the largest of them (the gradient flowing back
  and the one it produces, alive together). A hand-written step (model.impl manual) caches the same tensors
  as autograd does, so its activations are counted the same way.

**At two small batches, extrapolated**: measuring the step at the asked batch would itself need that memory (and, on
a CPU, minutes for a batch of 45,000 images), so the step is measured at ``PROBE_BATCHES`` (2 and 16 examples) and
extended along the line through them: ``step(B) = step(2) + (B - 2) * (step(16) - step(2)) / 14``. The model is
affine in the batch size because of what a step holds: the weights, their gradients and the optimiser's state do not
depend on it (the fixed part), while the batch, the logits and every activation saved for the backward pass are
tensors whose first dimension is the batch (the per-example part). On a CPU, where the parts are counted from the
tensors, the line is exact; on CUDA the allocator rounds each block (to 512 bytes) and cuDNN may pick another
workspace for a larger batch, so it is close, not exact. A batch of at most 16 is measured as it is. Batch 2, not 1:
batch normalisation in training refuses a single value per channel.

The step runs eagerly in the config's dtype: bf16 autocast and torch.compile (train.precision, train.compile)
would lower the real figure, so the estimate errs high on a GPU.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from rdfia_tui.engine.catalog import LOSSES
from rdfia_tui.engine.config import DataConfig, RunConfig
from rdfia_tui.engine.data.layout import cropped_shape, trained_crop
from rdfia_tui.engine.data.root import resolve_data_root
from rdfia_tui.engine.device import resolve_device
from rdfia_tui.engine.eager import skip_dynamo_import
from rdfia_tui.engine.memory import _short, free_bytes, is_allocation_failure, zca_bytes
from rdfia_tui.engine.memory_fit import MemoryEstimate
from rdfia_tui.engine.model_checks import input_spec
from rdfia_tui.engine.models import build_model
from rdfia_tui.engine.steps import ModuleStep, build_step

LABEL_BYTES = 8  # int64 labels
LOADING_COPIES = {"cpu": 2}  # data.splits.make_splits copies the arrays as read into the splits (on a GPU, the copy is the GPU's)


@dataclass(frozen=True)
class DataSize:
    """How many train (before the val split) and test examples there are, and the bytes one input takes as stored."""

    n_train: int
    n_test: int
    input_bytes: int


def _npz_headers(path: Path) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Each array's shape and dtype in an .npz, from the .npy headers alone."""
    found = {}
    with np.load(path, allow_pickle=False) as npz:
        for key in ("x_train", "x_test"):
            with npz.zip.open(f"{key}.npy") as fh:
                version = np.lib.format.read_magic(fh)
                read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
                shape, _, dtype = read(fh)
                found[key] = (tuple(shape), np.dtype(dtype))
    return found


def stored_itemsize(dtype: np.dtype, ndim: int) -> int:
    """Bytes per value as data.raw stores it: 8-bit images (uint8, or integers shaped as images) 1, anything else float32."""
    return 1 if dtype == np.uint8 or (dtype.kind in "iu" and ndim >= 3) else 4


def size_npz(path: Path) -> DataSize:
    """An .npz's example counts and stored bytes per input, read from its headers; a file that cannot be read so is
    read in full, for data.npz.read_npz's one-line DataError."""
    try:
        heads = _npz_headers(path)
    except (OSError, ValueError, KeyError, EOFError):
        from rdfia_tui.engine.data.npz import read_npz

        raw = read_npz(path)
        return DataSize(len(raw.y_train), len(raw.y_test), raw.x_train[:1].numel() * raw.x_train.element_size())
    (train_shape, dtype), (test_shape, _) = heads["x_train"], heads["x_test"]
    per_example = int(np.prod(train_shape[1:]))
    return DataSize(train_shape[0], test_shape[0], per_example * stored_itemsize(dtype, len(train_shape)))


# torchvision's datasets when no <name>.npz is in the data root: (train, test, bytes per uint8 image)
VISION_SIZES = {"mnist": (60_000, 10_000, 784), "fashion-mnist": (60_000, 10_000, 784), "cifar10": (50_000, 10_000, 3072)}


def _size_vision(d: DataConfig, root: Path) -> DataSize:
    npz = root / f"{d.dataset}.npz"
    return size_npz(npz) if npz.is_file() else DataSize(*VISION_SIZES[d.dataset])


def _size_toy(d: DataConfig, root: Path) -> DataSize:
    return DataSize(d.n_samples, max(d.n_samples // 2, 2), 2 * 4)


def _size_imagefolder(d: DataConfig, root: Path) -> DataSize:
    from rdfia_tui.engine.data.imagefolder import list_imagefolder
    from rdfia_tui.engine.data.peek import peek_imagefolder

    listing = list_imagefolder(d)
    shape, _ = peek_imagefolder(d)
    per_image = 0 if d.stream else int(np.prod(shape))  # streamed images stay on disk
    return DataSize(len(listing.train[0]), len(listing.test[0]), per_image)


def _size_loaded(d: DataConfig, root: Path) -> DataSize:
    """Small bundled data (digits) is cheaper to load than to describe."""
    from rdfia_tui.engine.data.splits import load_raw

    raw = load_raw(d, root)
    return DataSize(len(raw.y_train), len(raw.y_test), raw.x_train[:1].numel() * raw.x_train.element_size())


SIZERS = {
    "circles": _size_toy,
    "moons": _size_toy,
    "mnist": _size_vision,
    "fashion-mnist": _size_vision,
    "cifar10": _size_vision,
    "npz": lambda d, root: size_npz(Path(d.path).expanduser()),
    "imagefolder": _size_imagefolder,
}


def data_size(d: DataConfig, root: Path) -> DataSize:
    """The dataset's size as it will be stored; nothing is downloaded. Raises DataError for an unreadable dataset."""
    return SIZERS.get(d.dataset, _size_loaded)(d, root)


def split_counts(d: DataConfig, size: DataSize) -> tuple[int, int, int]:
    """(train, val, test) examples after data.limit_train and data.val_split, as data.splits.make_splits cuts them."""
    n = min(d.limit_train, size.n_train) if d.limit_train else size.n_train
    n_val = round(d.val_split * n)
    if d.val_split > 0 and n > 1:
        n_val = max(n_val, 1)
    n_val = min(n_val, n - 1)
    return n - n_val, n_val, size.n_test


def tensor_bytes(obj: object) -> int:
    """The bytes of every tensor in a nest of dicts, lists and tuples (an optimiser's state_dict)."""
    if isinstance(obj, torch.Tensor):
        return obj.numel() * obj.element_size()
    if isinstance(obj, dict):
        return sum(tensor_bytes(v) for v in obj.values())
    if isinstance(obj, list | tuple):
        return sum(tensor_bytes(v) for v in obj)
    return 0


class SavedTensors:
    """While inside, counts the tensors autograd saves for the backward pass (each storage once), weights left out."""

    def __init__(self, model: torch.nn.Module) -> None:
        self.weights = {p.untyped_storage().data_ptr() for p in model.parameters()}
        self.saved: dict[int, int] = {}
        self._hooks = torch.autograd.graph.saved_tensors_hooks(self._pack, lambda t: t)

    def _pack(self, t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        if storage.data_ptr() not in self.weights:
            self.saved[storage.data_ptr()] = storage.nbytes()
        return t

    def __enter__(self) -> SavedTensors:
        self._hooks.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._hooks.__exit__(*exc)

    @property
    def total(self) -> int:
        return sum(self.saved.values())

    @property
    def largest(self) -> int:
        return max(self.saved.values(), default=0)


def _step_parts(cfg: RunConfig, shape: tuple[int, ...], n_classes: int, batch: int, device: torch.device):
    dtype = getattr(torch, cfg.train.dtype)
    torch.manual_seed(cfg.train.seed)
    model = build_model(cfg.model, shape, n_classes).to(device=device, dtype=dtype)
    skip_dynamo_import()  # as an eager run does (engine.eager): torch._dynamo would cost 1.3 s and its own memory
    step, optimiser = build_step(cfg.model.impl, model, cfg.optim, cfg.train.loss, LOSSES.get(cfg.train.loss))
    if isinstance(step, ModuleStep):
        step.run_eagerly()
    x = torch.randn(batch, *shape, device=device, dtype=dtype)
    y = torch.randint(0, n_classes, (batch,), device=device)
    return model, step, optimiser, x, y


def cuda_step_bytes(cfg: RunConfig, shape: tuple[int, ...], n_classes: int, batch: int, device: torch.device) -> float:
    """The allocator's peak over building the model and one step on ``device`` (torch.cuda.max_memory_allocated)."""
    torch.cuda.synchronize(device)
    torch.cuda.reset_peak_memory_stats(device)
    base = torch.cuda.memory_allocated(device)
    _model, step, _optimiser, x, y = _step_parts(cfg, shape, n_classes, batch, device)
    step(x, y)
    torch.cuda.synchronize(device)
    return float(torch.cuda.max_memory_allocated(device) - base)


def cpu_step_bytes(cfg: RunConfig, shape: tuple[int, ...], n_classes: int, batch: int, device: torch.device) -> float:
    """Weights, gradients, optimiser state, the batch and the saved activations of one step (see the module's docstring)."""
    model, step, optimiser, x, y = _step_parts(cfg, shape, n_classes, batch, device)
    weights = sum(tensor_bytes(t) for t in (*model.parameters(), *model.buffers()))
    grads = sum(tensor_bytes(p) for p in model.parameters() if p.requires_grad)
    with SavedTensors(model) as saved:
        step(x, y)  # after it, the optimiser's state exists
    if not saved.saved:  # a hand-written step saves nothing through autograd: its cache holds what a forward saves
        with SavedTensors(model) as saved, torch.enable_grad():
            model(x)
    state = tensor_bytes(optimiser.state_dict())
    batch_bytes = tensor_bytes(x) + tensor_bytes(y) + batch * n_classes * x.element_size()  # inputs, labels, logits
    return float(weights + grads + state + batch_bytes + saved.total + 2 * saved.largest)


PROBE_BATCHES = (2, 16)  # the two batches the step is measured at (see the module's docstring)


def step_bytes(cfg: RunConfig, shape: tuple[int, ...], n_classes: int, batch: int, device: torch.device) -> tuple[float, tuple[int, ...]]:
    """One training step at ``batch`` on ``device``, in bytes, and the batches it was measured at: ``batch`` itself when
    it is at most 16, else 2 and 16, extrapolated linearly to ``batch`` (the module's docstring gives the model)."""
    measure = STEP_MEASURES[device.type][0]
    small, large = PROBE_BATCHES
    if batch <= large:
        return measure(cfg, shape, n_classes, batch, device), (batch,)
    at_small, at_large = (measure(cfg, shape, n_classes, b, device) for b in PROBE_BATCHES)
    per_example = max(at_large - at_small, 0.0) / (large - small)  # bytes per example of the batch
    return at_small + per_example * (batch - small), PROBE_BATCHES


def unallocated_step_bytes(cfg: RunConfig, shape: tuple[int, ...], n_classes: int) -> float:
    """Weights and gradients of ``cfg``'s network counted on the meta device (shapes only, nothing allocated): the
    least a step needs, for a network too large to build on the machine."""
    dtype = getattr(torch, cfg.train.dtype)
    with torch.device("meta"):
        model = build_model(cfg.model, shape, n_classes).to(dtype=dtype)
    weights = sum(p.numel() * p.element_size() for p in (*model.parameters(), *model.buffers()))
    return float(weights + sum(p.numel() * p.element_size() for p in model.parameters() if p.requires_grad))


def measured_step(
    cfg: RunConfig, shape: tuple[int, ...], n_classes: int, batch: int, device: torch.device
) -> tuple[float, tuple[int, ...], str]:
    """step_bytes with its method; when even a small step cannot be allocated, the weights and gradients counted
    without allocating (a lower bound), and the method says so with the allocator's words."""
    try:
        step, measured_at = step_bytes(cfg, shape, n_classes, batch, device)
    except (MemoryError, RuntimeError) as exc:
        if not is_allocation_failure(exc):
            raise
        reason = f"weights and gradients only, counted without allocating: the network itself could not be allocated ({_short(exc)})"
        return unallocated_step_bytes(cfg, shape, n_classes), (), reason
    return step, measured_at, STEP_MEASURES[device.type][1]


STEP_MEASURES = {"cuda": (cuda_step_bytes, "torch.cuda.max_memory_allocated of a dry-run step"),
                 "cpu": (cpu_step_bytes, "weights, gradients, optimiser state and saved activations of one step")}  # fmt: skip


def estimate(cfg: RunConfig, data_root: str | Path | None = None) -> MemoryEstimate:
    """What ``cfg`` needs at its peak on its device, in bytes, against the device's free memory.

    Raises DeviceError (no such device), DataError (the dataset cannot be read), ArchitectureError (a network
    too deep for its input), ConfigError (a device other than cpu or cuda, which cannot be measured).
    """
    began = time.perf_counter()
    device = resolve_device(cfg.train.device)
    if device.type not in STEP_MEASURES:
        from rdfia_tui.engine.errors import ConfigError

        raise ConfigError(f"train.device: the memory of a {device.type} run cannot be estimated; use cpu or cuda", key="train.device")
    root = resolve_data_root(data_root)
    size = data_size(cfg.data, root)
    n_train, n_val, n_test = split_counts(cfg.data, size)
    n_all = n_train + n_val + n_test
    input_shape, n_classes = input_spec(cfg, data_root)
    dims = int(np.prod(input_shape))
    data = float(n_all * (size.input_bytes + LABEL_BYTES))
    zca = zca_bytes(n_all, dims) if cfg.data.zca else 0.0
    trained = float(n_all * (4 * dims + LABEL_BYTES)) if cfg.data.zca else data
    batch = min(cfg.train.batch_size or n_train, n_train)
    shape = cropped_shape(input_shape, trained_crop(cfg.data.crop_size, cfg.data.augment))
    free = free_bytes(device)  # before the step: what a run would find
    step, measured_at, method = measured_step(cfg, shape, n_classes, max(batch, 1), device)
    loading = data * LOADING_COPIES.get(device.type, 1)
    seconds = time.perf_counter() - began
    return MemoryEstimate(str(device), batch, data, loading, zca, trained, step, free, method, seconds, measured_at)
