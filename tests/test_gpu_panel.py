"""The GPU panel: NVML readings turned into lines (a fake NVML), the run's peak through the event stream, and the
panel offered only where a GPU is visible (Pilot)."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from tui_fakes import ScriptedEngine, make_app, wait_for

from rdfia_tui.engine.events import BatchProgress
from rdfia_tui.engine.live.stream import decode, encode
from rdfia_tui.tui import gpu
from rdfia_tui.tui.widgets.gpu_panel import GpuPanel

MiB = 2**20


class FakeNvml:
    """pynvml's functions over two made-up GPUs; the second has no power sensor."""

    NVML_TEMPERATURE_GPU = 0

    class NVMLError(Exception):
        pass

    def __init__(self) -> None:
        self.reads = 0

    def nvmlDeviceGetCount(self) -> int:
        self.reads += 1
        return 2

    def nvmlDeviceGetHandleByIndex(self, i: int) -> int:
        return i

    def nvmlDeviceGetName(self, h: int) -> bytes | str:
        return b"NVIDIA H100" if h == 0 else "NVIDIA T4"

    def nvmlDeviceGetMemoryInfo(self, h: int) -> SimpleNamespace:
        return SimpleNamespace(used=(1000 + h) * MiB, free=(3000 - h) * MiB, total=4000 * MiB)

    def nvmlDeviceGetUtilizationRates(self, h: int) -> SimpleNamespace:
        return SimpleNamespace(gpu=37 + h, memory=5)

    def nvmlDeviceGetTemperature(self, h: int, sensor: int) -> int:
        return 61

    def nvmlDeviceGetPowerUsage(self, h: int) -> int:
        if h == 1:
            raise self.NVMLError("Not Supported")
        return 250_400  # milliwatts

    def nvmlDeviceGetEnforcedPowerLimit(self, h: int) -> int:
        if h == 1:
            raise self.NVMLError("Not Supported")
        return 700_000


def test_nvml_readings_become_the_panels_lines() -> None:
    readings = gpu.read_gpus(FakeNvml())
    assert readings[0] == gpu.GpuReading(0, "NVIDIA H100", 37, 1000 * MiB, 3000 * MiB, 4000 * MiB, 61, 250.4, 700.0)
    lines = gpu.gpu_lines(readings, run_peak_bytes=512 * MiB)
    assert lines == [
        "GPU 0  NVIDIA H100",
        "  utilisation 37% · 61 °C · 250 W of 700 W",
        "  memory 1,000 MiB used · 3,000 MiB free · 4,000 MiB total",
        "GPU 1  NVIDIA T4",
        "  utilisation 38% · 61 °C",  # no power sensor: no power, said nowhere else
        "  memory 1,001 MiB used · 2,999 MiB free · 4,000 MiB total",
        "run peak allocated: 512 MiB",
    ]
    assert gpu.gpu_lines([], 0) == ["no GPU visible to NVML", "run peak allocated: - (no run on a GPU followed)"]


def test_without_the_bindings_the_panel_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)  # import pynvml now raises ImportError
    assert gpu.Nvml().lines() == ["GPU readings need NVIDIA's NVML bindings: pip install -e \".[gpu]\" in the rdfia-tui clone"]
    assert gpu.Nvml(FakeNvml()).lines()[0] == "GPU 0  NVIDIA H100"


def test_a_cuda_machine_is_told_by_its_driver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no nvidia-smi
    assert not gpu.cuda_machine(tmp_path / "absent")
    (tmp_path / "gpus" / "0000:01:00.0").mkdir(parents=True)
    assert gpu.cuda_machine(tmp_path / "gpus")


def test_the_runs_gpu_peak_travels_through_the_event_stream() -> None:
    event = BatchProgress(2, 10, 40, 0.5, 1000.0, 30.0, (0.5,), gpu_peak_bytes=3 * 2**30)
    assert decode(encode(event)) == event


async def test_the_gpu_panel_where_a_gpu_is_visible(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """(Without a GPU the tab is not offered: tests/test_memory_estimate.py's form test checks it.)"""
    fake = FakeNvml()
    monkeypatch.setattr(GpuPanel, "detect", staticmethod(lambda: True))
    monkeypatch.setattr(GpuPanel, "open_nvml", staticmethod(lambda: gpu.Nvml(fake)))
    app = make_app(tmp_path, ScriptedEngine(plane=True))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.main.form.config is not None)
        panel = app.main.query_one(GpuPanel)
        assert not app.main.panels.get_tab("tab-gpu").has_class("-hidden")
        await pilot.press("v", "v")  # layers → lesson → GPU
        assert app.main.panels.active == "tab-gpu"
        await wait_for(pilot, lambda: "utilisation 37%" in str(panel.render()))
        app.main.show_progress(BatchProgress(1, 1, 4, 0.7, 100.0, 5.0, (0.7,), gpu_peak_bytes=123 * MiB))
        panel._poll()  # the refresh the interval would make within a second
        await wait_for(pilot, lambda: "run peak allocated: 123 MiB" in str(panel.render()))
        assert fake.reads >= 2
