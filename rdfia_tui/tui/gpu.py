"""The GPU panel's readings: NVIDIA's NVML (nvidia-ml-py, module ``pynvml``) read in the console's own process,
without torch, and turned into the panel's lines by a pure function."""

from __future__ import annotations

import importlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from rdfia_tui.engine.extras import install_line

INSTALL_LINE = f"GPU readings need NVIDIA's NVML bindings: {install_line('gpu')}"


@dataclass(frozen=True)
class GpuReading:
    """One GPU now: utilisation in percent (0-100, over NVML's last sample period), memory in bytes, temperature in
    °C, power draw and its enforced limit in watts. A reading the driver does not offer is None."""

    index: int
    name: str
    utilisation: int | None
    memory_used: int
    memory_free: int
    memory_total: int
    temperature_c: int | None
    power_w: float | None
    power_limit_w: float | None


def cuda_machine(proc: Path = Path("/proc/driver/nvidia/gpus")) -> bool:
    """Whether an NVIDIA driver is installed with a GPU (its /proc entries, or nvidia-smi on the PATH)."""
    try:
        if any(proc.iterdir()):
            return True
    except OSError:
        pass
    return shutil.which("nvidia-smi") is not None


def _optional(nvml: Any, read: Any, *args: Any) -> Any:
    try:
        return read(*args)
    except nvml.NVMLError:
        return None


def read_gpus(nvml: Any) -> list[GpuReading]:
    """Every GPU NVML sees (``nvml`` is the initialised pynvml module, or a fake with its functions). Raises nvml.NVMLError."""
    readings = []
    for index in range(nvml.nvmlDeviceGetCount()):
        h = nvml.nvmlDeviceGetHandleByIndex(index)
        name = nvml.nvmlDeviceGetName(h)
        memory = nvml.nvmlDeviceGetMemoryInfo(h)
        rates = _optional(nvml, nvml.nvmlDeviceGetUtilizationRates, h)
        temperature = _optional(nvml, nvml.nvmlDeviceGetTemperature, h, nvml.NVML_TEMPERATURE_GPU)
        power_mw = _optional(nvml, nvml.nvmlDeviceGetPowerUsage, h)
        limit_mw = _optional(nvml, nvml.nvmlDeviceGetEnforcedPowerLimit, h)
        readings.append(GpuReading(
            index, name.decode() if isinstance(name, bytes) else str(name), None if rates is None else int(rates.gpu),
            int(memory.used), int(memory.free), int(memory.total), temperature,
            None if power_mw is None else power_mw / 1000, None if limit_mw is None else limit_mw / 1000,
        ))  # fmt: skip
    return readings


def _mib(n: int) -> str:
    return f"{n / 2**20:,.0f} MiB"


def gpu_lines(readings: list[GpuReading], run_peak_bytes: int = 0) -> list[str]:
    """The panel's text: per GPU, utilisation, memory used/free/total, temperature and power; then the followed run's
    peak allocated memory (torch.cuda.max_memory_allocated, 0 when unknown)."""
    lines = []
    for r in readings:
        use = "utilisation ?" if r.utilisation is None else f"utilisation {r.utilisation}%"
        heat = "" if r.temperature_c is None else f" · {r.temperature_c} °C"
        limit = "" if r.power_limit_w is None else f" of {r.power_limit_w:.0f} W"
        power = "" if r.power_w is None else f" · {r.power_w:.0f} W{limit}"
        lines.append(f"GPU {r.index}  {r.name}")
        lines.append(f"  {use}{heat}{power}")
        lines.append(f"  memory {_mib(r.memory_used)} used · {_mib(r.memory_free)} free · {_mib(r.memory_total)} total")
    if not readings:
        lines.append("no GPU visible to NVML")
    lines.append(f"run peak allocated: {_mib(run_peak_bytes)}" if run_peak_bytes else "run peak allocated: - (no run on a GPU followed)")
    return lines


class Nvml:
    """NVML opened once for the console: ``lines()`` reads it; ``problem`` is the one line shown instead when it cannot
    be read (bindings not installed, no driver)."""

    def __init__(self, module: ModuleType | Any | None = None) -> None:
        self.module, self.problem = module, ""
        if module is not None:
            return
        try:
            self.module = importlib.import_module("pynvml")
        except ImportError:
            self.problem = INSTALL_LINE
            return
        try:
            self.module.nvmlInit()
        except self.module.NVMLError as exc:
            self.module, self.problem = None, f"NVML cannot be read: {exc}"

    def lines(self, run_peak_bytes: int = 0) -> list[str]:
        """The panel's lines now (one line naming the problem when NVML cannot be read)."""
        if self.module is None:
            return [self.problem]
        try:
            return gpu_lines(read_gpus(self.module), run_peak_bytes)
        except self.module.NVMLError as exc:
            return [f"NVML cannot be read: {exc}"]
