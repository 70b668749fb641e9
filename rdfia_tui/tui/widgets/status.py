"""The status line: epoch k/N, a batch progress bar, images/s, ETA, device and GPU memory."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar


def format_eta(seconds: float) -> str:
    if seconds != seconds or seconds < 0:
        return "--:--"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class StatusLine(Horizontal):
    DEFAULT_CSS = """
    StatusLine {
        height: 1;
        width: 1fr;
    }
    StatusLine #status-epoch { width: auto; padding: 0 1 0 0; text-style: bold; }
    StatusLine ProgressBar { width: 24; }
    StatusLine #status-detail { width: 1fr; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        yield Label("idle", id="status-epoch")
        yield ProgressBar(total=1, show_eta=False, show_percentage=True, id="status-bar")
        yield Label("", id="status-detail")

    def set_state(self, text: str) -> None:
        self.query_one("#status-epoch", Label).update(text)

    def show_progress(self, epoch: int, epochs: int, step: int, steps: int, rate: float, eta: float, device: str, memory: str = "") -> None:
        self.query_one("#status-epoch", Label).update(f"epoch {epoch}/{epochs}")
        self.query_one("#status-bar", ProgressBar).update(total=max(steps, 1), progress=step)
        parts = [f"{rate:,.0f} img/s", f"ETA {format_eta(eta)}", device]
        if memory:
            parts.append(memory)
        self.query_one("#status-detail", Label).update("  ".join(parts))

    @property
    def epoch_text(self) -> str:
        return str(self.query_one("#status-epoch", Label).render())

    @property
    def detail_text(self) -> str:
        return str(self.query_one("#status-detail", Label).render())
