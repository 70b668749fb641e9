"""The GPU panel: NVML's readings of every GPU and the followed run's peak allocated memory, refreshed once a
second by a thread worker that posts the lines back (tui.gpu)."""

from __future__ import annotations

from typing import Any

from textual import work
from textual.message import Message
from textual.widgets import Static

from rdfia_tui.tui import gpu


class GpuLines(Message):
    """The panel's lines, read off the UI thread."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines


class GpuPanel(Static):
    """Offered only on a machine with an NVIDIA GPU (``offer``); reads NVML in the console's process, never torch."""

    DEFAULT_CSS = "GpuPanel { height: auto; padding: 0 1; }"
    INTERVAL_S = 1.0
    detect = staticmethod(gpu.cuda_machine)  # tests put fakes here
    open_nvml = staticmethod(gpu.Nvml)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("GPU: reading…", **kwargs)
        self.run_peak = 0  # bytes; from the followed run's BatchProgress events
        self.offered = False
        self._nvml: gpu.Nvml | None = None

    def offer(self) -> bool:
        """Whether a GPU is visible; if so, start reading it once a second."""
        self.offered = bool(self.detect())
        if self.offered:
            self.set_interval(self.INTERVAL_S, self._poll)
            self._poll()
        return self.offered

    def follow_peak(self, peak_bytes: int) -> None:
        """The run's peak allocated bytes so far (0 from a run off the GPU: the last known value stays)."""
        if peak_bytes:
            self.run_peak = peak_bytes

    def _poll(self) -> None:
        self._read(self.run_peak)

    @work(thread=True, exclusive=True, exit_on_error=False, group="gpu-readings")
    def _read(self, run_peak: int) -> None:
        if self._nvml is None:
            self._nvml = self.open_nvml()  # nvmlInit can take a moment: off the UI thread too
        self.post_message(GpuLines(self._nvml.lines(run_peak)))

    def on_gpu_lines(self, message: GpuLines) -> None:
        message.stop()
        self.update("\n".join(message.lines))
