"""The GPU panel and the memory estimate on a real CUDA GPU: NVML read in this process, the estimate's dry-run step.

Skipped where torch sees no CUDA device (and the NVML part where nvidia-ml-py is not installed)."""

from __future__ import annotations

import pytest
import torch

from rdfia_tui.engine.config import apply_overrides
from rdfia_tui.engine.memory import peak_allocated
from rdfia_tui.engine.memory_estimate import estimate
from rdfia_tui.engine.presets import load_preset
from rdfia_tui.tui import gpu

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def test_nvml_reads_the_real_gpus() -> None:
    pytest.importorskip("pynvml", reason='needs nvidia-ml-py (pip install -e ".[gpu]" in the rdfia-tui clone)')
    assert gpu.cuda_machine()
    nvml = gpu.Nvml()
    assert not nvml.problem, nvml.problem
    readings = gpu.read_gpus(nvml.module)
    assert len(readings) >= torch.cuda.device_count()
    first = readings[0]
    assert first.memory_total > 2**30 and abs(first.memory_used + first.memory_free - first.memory_total) < 0.05 * first.memory_total
    assert first.utilisation is None or 0 <= first.utilisation <= 100
    assert first.temperature_c is None or 0 < first.temperature_c < 120
    assert first.name in nvml.lines()[0]


def test_the_estimate_measures_a_dry_run_step_on_the_gpu() -> None:
    small, large = (estimate(apply_overrides(load_preset("circles-mlp"), ["train.device=cuda", f"train.batch_size={b}"])) for b in (8, 800))
    assert small.device.startswith("cuda") and "max_memory_allocated" in small.method
    assert 0 < small.step_bytes < large.step_bytes and small.free_bytes
    assert small.loading_bytes == small.data_bytes  # the arrays as read stay in host memory


def test_the_peak_allocated_is_read_without_a_sync() -> None:
    x = torch.empty(2**20, device="cuda")
    assert peak_allocated(torch.device("cuda")) >= x.numel() * 4
    assert peak_allocated(torch.device("cpu")) == 0
