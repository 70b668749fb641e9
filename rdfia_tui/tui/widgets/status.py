"""The status line: epoch k/N, a batch progress bar, images/s, ETA, device and GPU memory."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget


def format_eta(seconds: float) -> str:
    if seconds != seconds or seconds < 0:
        return "--:--"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


BAR_WIDTH = 24


def progress_bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    """A text bar, ━ for done and ╺━ for the rest, with the percentage after it."""
    fraction = min(max(done / total, 0.0), 1.0) if total > 0 else 0.0
    filled = round(fraction * width)
    return "━" * filled + "╺" * (filled < width) + "─" * max(width - filled - 1, 0) + f" {100 * fraction:3.0f}%"


class StatusLine(Widget):
    """One fixed-size line, redrawn in place: updating it never makes Textual lay the screen out
    again (a layout pass walks every widget of the form, ten times a second during a run)."""

    DEFAULT_CSS = """
    StatusLine {
        height: 1;
        width: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._state = "idle"
        self._bar = ""
        self._detail = ""

    def render(self) -> Text:
        line = Text(self._state, style="bold")
        if self._bar:
            line.append("  " + self._bar, style="cyan")
        if self._detail:
            line.append("  " + self._detail)
        return line

    def set_state(self, text: str) -> None:
        self._state = text
        self.refresh()

    def show_progress(self, epoch: int, epochs: int, step: int, steps: int, rate: float, eta: float, device: str, memory: str = "") -> None:
        self._state = f"epoch {epoch}/{epochs}"
        self._bar = progress_bar(step, max(steps, 1))
        parts = [f"{rate:,.0f} img/s", f"ETA {format_eta(eta)}", device]
        if memory:
            parts.append(memory)
        self._detail = "  ".join(parts)
        self.refresh()

    @property
    def epoch_text(self) -> str:
        return self._state

    @property
    def detail_text(self) -> str:
        return self._detail
