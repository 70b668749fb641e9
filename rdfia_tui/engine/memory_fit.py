"""Whether a config's estimated memory fits the free memory: the verdict, its thresholds, and the estimate run
in a child process (``rdfia-tui memory PRESET --json``), so that asking never imports torch here.

Thresholds, as a fraction of the memory free on the run's device when the estimate was taken:

* **safe**: the estimate is under ``SAFE_FRACTION`` (60 %) of the free memory: room for what the estimate
  leaves out (the allocator's caching and fragmentation, cuDNN workspaces, evaluation batches, other programs).
* **tight**: under ``TIGHT_FRACTION`` (90 %): it should fit, but little else will.
* **will not fit**: 90 % or more.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from rdfia_tui.engine import config as config_mod
from rdfia_tui.engine.config import RunConfig
from rdfia_tui.engine.errors import RdfiaError

SAFE_FRACTION = 0.6
TIGHT_FRACTION = 0.9
SAFE, TIGHT, WONT_FIT, UNKNOWN = "safe", "tight", "will not fit", "unknown"
CHILD_TIMEOUT_S = 180.0


@dataclass(frozen=True)
class MemoryEstimate:
    """What one run of a config needs at its peak, in bytes, on ``device`` ("cpu", "cuda:0"...).

    ``data_bytes``: the splits as they live on the device (inputs in their stored dtype, int64 labels).
    ``loading_bytes``: loading them (on a CPU the arrays as read and the shuffled splits are alive together,
    data.splits.make_splits: twice ``data_bytes``; on a GPU the arrays as read stay in host memory).
    ``zca_bytes``: fitting and applying ZCA (memory.zca_bytes; 0 without data.zca).
    ``trained_data_bytes``: the splits while training (the whitened float32 copy with ZCA, else ``data_bytes``).
    ``step_bytes``: one training step: weights, gradients, optimiser state, the batch and what it keeps for
    the backward pass; ``method`` says how it was measured, ``measured_batches`` at which batch sizes (two small
    ones, extrapolated linearly to ``batch_size``: engine.memory_estimate; or ``batch_size`` alone). ``free_bytes``
    is the device's free memory when it was taken (None when it cannot be told); ``seconds`` how long the estimate
    took, in its own process.
    """

    device: str
    batch_size: int
    data_bytes: float
    loading_bytes: float
    zca_bytes: float
    trained_data_bytes: float
    step_bytes: float
    free_bytes: float | None
    method: str
    seconds: float = 0.0
    measured_batches: tuple[int, ...] = ()

    @property
    def peak_bytes(self) -> float:
        """The largest of loading, whitening (the data plus ZCA's matrices) and training (the data it trains on plus a step)."""
        return max(self.loading_bytes, self.data_bytes + self.zca_bytes, self.trained_data_bytes + self.step_bytes)

    @property
    def verdict(self) -> str:
        """safe, tight, will not fit, or unknown (the free memory cannot be told); see the module's thresholds."""
        return verdict(self.peak_bytes, self.free_bytes)

    def to_json(self) -> str:
        """One JSON object: the fields, and the peak and verdict they give."""
        return json.dumps({**asdict(self), "peak_bytes": self.peak_bytes, "verdict": self.verdict})

    @staticmethod
    def from_json(text: str) -> MemoryEstimate:
        """The estimate ``to_json`` wrote; raises ValueError (or KeyError, TypeError) for anything else."""
        data = json.loads(text)
        fields = {k: data[k] for k in MemoryEstimate.__dataclass_fields__ if k != "measured_batches"}
        return MemoryEstimate(**fields, measured_batches=tuple(int(b) for b in data["measured_batches"]))

    @property
    def extrapolated(self) -> bool:
        """Whether the step was measured at other batch sizes than ``batch_size`` and extrapolated."""
        return len(self.measured_batches) > 1


def verdict(need: float, free: float | None) -> str:
    """``need`` bytes against ``free`` bytes: safe (< 60 % of free), tight (< 90 %), will not fit; unknown without ``free``."""
    if free is None or free <= 0:
        return UNKNOWN
    if need < SAFE_FRACTION * free:
        return SAFE
    return TIGHT if need < TIGHT_FRACTION * free else WONT_FIT


def size(n: float) -> str:
    """Bytes in KiB, MiB or GiB, e.g. ``12 KiB``, ``512 MiB``, ``3.2 GiB``."""
    if n >= 2**30:
        return f"{n / 2**30:.1f} GiB"
    return f"{n / 2**20:,.0f} MiB" if n >= 2**20 else f"{n / 2**10:,.0f} KiB"


def describe(e: MemoryEstimate) -> str:
    """One line: the verdict, the peak against the free memory, and where the peak comes from."""
    free = "free memory unknown" if e.free_bytes is None else f"{size(e.free_bytes)} free on {e.device}"
    how = f" (extrapolated from batches {' and '.join(map(str, e.measured_batches))})" if e.extrapolated else ""
    parts = [f"data {size(e.data_bytes)}", *([f"ZCA {size(e.zca_bytes)}"] if e.zca_bytes else []),
             f"step at batch {e.batch_size} {size(e.step_bytes)}{how}"]  # fmt: skip
    return f"memory: {e.verdict}: about {size(e.peak_bytes)} of {free} ({', '.join(parts)})"


def estimate_in_child(
    cfg: RunConfig, data_root: str | None = None, cancel: threading.Event | None = None, timeout: float = CHILD_TIMEOUT_S
) -> MemoryEstimate:
    """Estimate ``cfg`` in a child process (``python -m rdfia_tui memory FILE --json``), so the caller never imports torch.

    Setting ``cancel`` ends the child. Raises RdfiaError with the child's one-line reason when it fails (a dataset
    it cannot read, an impossible network), when it takes longer than ``timeout`` seconds, or when cancelled.
    """
    cancel = cancel or threading.Event()
    with tempfile.TemporaryDirectory(prefix="rdfia-tui-memory-") as folder:
        preset = Path(folder, f"{cfg.name}.toml")
        preset.write_text(config_mod.dumps(cfg), encoding="utf-8")
        command = [sys.executable, "-m", "rdfia_tui", "memory", str(preset), "--json"]
        if data_root:
            command += ["--data-root", str(data_root)]
        out, err = Path(folder, "out"), Path(folder, "err")
        with open(out, "wb") as stdout, open(err, "wb") as stderr:
            child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr)
        began = time.monotonic()
        while child.poll() is None:
            if cancel.wait(0.05) or time.monotonic() - began > timeout:
                child.kill()
                child.wait()
                raise RdfiaError("cancelled" if cancel.is_set() else f"the memory estimate took longer than {timeout:.0f} s")
        return _answer(child.returncode, out.read_text(encoding="utf-8"), err.read_text(encoding="utf-8"))


def _answer(code: int, stdout: str, stderr: str) -> MemoryEstimate:
    """The estimate a child printed (exit status 0, or 1 for "will not fit"), or RdfiaError with its last error line."""
    lines = stdout.strip().splitlines()
    if code in (0, 1) and lines:
        try:
            return MemoryEstimate.from_json(lines[-1])
        except (ValueError, KeyError, TypeError):
            pass
    reason = (stderr.strip().splitlines() or [f"exit status {code}"])[-1]
    raise RdfiaError(reason.removeprefix("rdfia-tui: error: "))
