"""How a run uses the hardware: autocast precision, memory layout and compilation.

``train.precision``, ``train.channels_last``, ``train.compile`` and ``train.cuda_graphs`` are
resolved here, once per run, into a :class:`Speed` that wraps the network. The defaults come
from measurements (docs/benchmarks.md): channels_last made the course's convnet 1.4× faster on
a 2-core CPU; bf16 autocast on a CPU without native bf16 made it 2.7× slower, so ``auto``
uses bf16 only on CUDA and on CPUs that advertise AVX512-BF16 or AMX.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from rdfia_tui.engine.config import RunConfig
from rdfia_tui.engine.layers import LayerTable
from rdfia_tui.engine.registry import Registry

Precision = Callable[[torch.device], "torch.dtype | None"]
WEIGHTED_LAYERS = ("Linear", "Conv2d")
# Below this many multiply-accumulates per step, a second thread costs more than it gives, and
# far more when another process holds a core (measured: docs/benchmarks.md, "threads").
ONE_THREAD_MACS = 1e8
PRECISIONS: Registry[Precision] = Registry("precision")
NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


@functools.cache
def cpu_has_native_bf16(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """True when the CPU advertises AVX512-BF16 or AMX-BF16 (Linux only; False elsewhere)."""
    try:
        text = Path(cpuinfo).read_text()
    except OSError:
        return False
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    return any(flag in flags for flag in NATIVE_BF16_FLAGS)


def _cuda_bf16(device: torch.device) -> bool:
    return device.type == "cuda" and torch.cuda.is_bf16_supported()


@PRECISIONS.register("auto")
def auto_precision(device: torch.device) -> torch.dtype | None:
    """bf16 where the hardware computes it natively, else fp32 (None). resolve_speed asks it only for networks with
    convolutions: an MLP trains in fp32 under "auto"."""
    if _cuda_bf16(device) or (device.type == "cpu" and cpu_has_native_bf16()):
        return torch.bfloat16
    return None


PRECISIONS.register("fp32", lambda device: None)
PRECISIONS.register("bf16", lambda device: torch.bfloat16)


class Autocast(nn.Module):
    """Runs the wrapped network under autocast and hands back float32 logits."""

    def __init__(self, inner: nn.Module, device_type: str, dtype: torch.dtype) -> None:
        super().__init__()
        self.inner, self.device_type, self.dtype = inner, device_type, dtype

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (N, …) → logits (N, K) computed under autocast in ``dtype``, returned as float32."""
        with torch.autocast(self.device_type, dtype=self.dtype):
            return self.inner(x).float()


def has_convolutions(model: nn.Module) -> bool:
    """Whether ``model`` has a Conv2d (``auto`` bf16 and ``auto`` channels_last apply only then)."""
    return any(isinstance(m, nn.Conv2d) for m in model.modules())


@dataclass(frozen=True)
class Speed:
    """The resolved choices for one run, and the notes that explain them."""

    autocast: torch.dtype | None = None
    channels_last: bool = False
    compile_mode: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def memory_format(self) -> torch.memory_format:
        """torch.channels_last (NHWC) when chosen, else torch.contiguous_format; the pipeline lays batches out so."""
        return torch.channels_last if self.channels_last else torch.contiguous_format

    def apply(self, model: nn.Module, device: torch.device) -> nn.Module:
        """The network to train and evaluate; ``model`` keeps its parameters (shared, not copied)."""
        if self.channels_last:
            model.to(memory_format=torch.channels_last)
        net: nn.Module = model
        if self.autocast is not None:
            net = Autocast(net, device.type, self.autocast)
        if self.compile_mode is not None:
            net = torch.compile(net, mode=self.compile_mode)
        return net

    def wrap_step(self, step: Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]) -> Callable:
        """CUDA graphs replay into the same buffers: mark where each training step begins."""
        if self.compile_mode != "reduce-overhead":
            return step

        def marked(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            torch.compiler.cudagraph_mark_step_begin()
            loss, logits = step(x, y)
            return loss.clone(), logits.clone()

        return marked

    def to_dict(self) -> dict[str, object]:
        """summary.json's ``speed``: precision (bf16 or fp32), channels_last, and the compile mode or ``off``."""
        return {
            "precision": "bf16" if self.autocast == torch.bfloat16 else "fp32",
            "channels_last": self.channels_last,
            "compile": self.compile_mode or "off",
        }

    def describe(self) -> str:
        """One line for the console, e.g. ``fp32, channels_last, eager``."""
        d = self.to_dict()
        layout = "channels_last" if self.channels_last else "contiguous"
        compiled = "eager" if d["compile"] == "off" else f"compiled ({d['compile']})"
        return f"{d['precision']}, {layout}, {compiled}"


def resolve_speed(cfg: RunConfig, device: torch.device, model: nn.Module) -> Speed:
    """What ``cfg.train`` asks for, as far as ``device`` and ``model`` allow it."""
    t, notes = cfg.train, []
    conv = has_convolutions(model)
    autocast = None
    # auto: bf16 pays only in convolutions; an MLP (labs 4-5) stays fp32, so its three
    # implementations give the same numbers on every machine
    if t.dtype == "float32" and cfg.model.impl == "module" and (conv or t.precision != "auto"):
        autocast = PRECISIONS.get(t.precision)(device)
    if autocast is not None and device.type == "mps":
        autocast = None
        notes.append("train.precision: bf16 autocast is not used on mps; training in fp32")
    if t.precision == "bf16" and device.type == "cpu" and not cpu_has_native_bf16():
        notes.append("train.precision: this CPU has no native bf16 (AVX512-BF16/AMX), so bf16 is emulated and slower than fp32")
    channels_last = t.channels_last == "on" or (t.channels_last == "auto" and conv)
    if t.channels_last == "on" and not conv:
        notes.append("train.channels_last: the network has no convolution, so the layout changes nothing")
    mode = None
    if t.cuda_graphs and device.type == "cuda":
        mode = "reduce-overhead"
    elif t.cuda_graphs:
        notes.append(f"train.cuda_graphs: CUDA graphs need a CUDA device, not {device.type}; ignored")
    if mode is None and t.compile:
        mode = "default"
    return Speed(autocast, channels_last and conv, mode, tuple(notes))


def example_macs(table: LayerTable) -> int:
    """Multiply-accumulates of one example's forward pass: a layer's weights once per output position
    (once for a linear layer, H×W times for a convolution); other layers are not counted."""
    total = 0
    for row in table.rows:
        positions = row.out_shape[1] * row.out_shape[2] if len(row.out_shape) == 3 else 1
        total += row.params * positions if row.kind in WEIGHTED_LAYERS else 0
    return total


def step_macs(table: LayerTable, batch_size: int, n_train: int = 0) -> float:
    """One training step's work: forward and backward (about 3× the forward) over the batch (``n_train`` for full batch)."""
    return 3.0 * example_macs(table) * (batch_size or n_train)


def auto_threads(table: LayerTable, batch_size: int, n_train: int, cores: int, console: bool = False) -> int:
    """``train.threads = 0``: one thread for steps too small to share (below ONE_THREAD_MACS), else every core.

    In the console an MLP keeps a core for the drawing (docs/benchmarks.md, "console overhead").
    """
    if step_macs(table, batch_size, n_train) < ONE_THREAD_MACS:
        return 1
    has_conv = any(row.kind in ("Conv2d",) for row in table.rows)
    return cores if has_conv or not console else max(1, cores - 1)
