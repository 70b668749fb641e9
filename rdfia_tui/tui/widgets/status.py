"""The status line: what the run is doing now (epoch k/N and its steps, or the split being evaluated),
images/s, ETA, device and GPU memory. It shows only what is true now: a finished, stopped or refused
run keeps its word and loses the bar, the rate and the countdown.

It never clips: when the terminal is narrow the bar shortens, then the device, the rate and the ETA
give way, in that order.
"""

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
MIN_BAR_WIDTH = 6
SPLIT_WORDS = {"train": "evaluating train", "val": "evaluating val", "test": "evaluating test"}


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
        self._fraction: tuple[int, int] | None = None  # (done, total) for the bar
        self._details: list[str] = []  # most important first: rate, ETA, device, memory
        self._patience = ""  # early stopping's counter (engine.patience), kept until the next state word

    def render(self) -> Text:
        return self.fit(self.size.width or 120)

    def fit(self, width: int) -> Text:
        """The line for ``width`` columns: the bar shrinks first, then details drop from the end."""
        details = list(self._details)
        while True:
            rest = "".join("  " + d for d in details)
            room = width - len(self._state) - len(rest) - 2 - len(" 100%")
            if self._fraction is None or room >= MIN_BAR_WIDTH or not details:
                break
            details.pop()
        line = Text(self._state, style="bold")
        if self._fraction is not None and room >= MIN_BAR_WIDTH:
            line.append("  " + progress_bar(*self._fraction, width=min(BAR_WIDTH, room)), style="cyan")
        for detail in details:
            line.append("  " + detail)
        line.truncate(width, overflow="ellipsis")
        return line

    def set_state(self, text: str) -> None:
        """Only a word (idle, starting…, finished, stopped, refused): no bar, no rate, no countdown."""
        self._state, self._fraction, self._details, self._patience = text, None, [], ""
        self.refresh()

    def show_progress(
        self,
        epoch: int,
        epochs: int,
        step: int,
        steps: int,
        rate: float,
        eta: float,
        device: str,
        memory: str = "",
        lr: float | None = None,
    ) -> None:
        self._state = f"epoch {epoch}/{epochs}"
        self._fraction = (step, max(steps, 1))
        learning = [f"lr {lr:.3g}"] if lr is not None else []
        patience = [self._patience] if self._patience else []
        self._details = [f"{rate:,.0f} img/s", f"ETA {format_eta(eta)}", *learning, *patience, device, *([memory] if memory else [])]
        self.refresh()

    def set_patience(self, text: str) -> None:
        """Early stopping's counter after an epoch ("patience 2/5, best 71.2% at epoch 12"): it replaces the one shown
        now, and the next progress report shows it after the learning rate."""
        old, self._patience = self._patience, text
        self._details = [text if old and d == old else d for d in self._details]
        self.refresh()

    def show_evaluation(self, epoch: int, epochs: int, split: str, done: int, total: int, rate: float, device: str) -> None:
        self._state = f"epoch {epoch}/{epochs} · {SPLIT_WORDS.get(split, 'evaluating ' + split)}"
        self._fraction = (done, max(total, 1))
        self._details = [f"{rate:,.0f} img/s", device]
        self.refresh()

    def pause(self) -> None:
        """Paused: the step bar and the device stay; the rate and the ETA, which a pause makes false, go."""
        if not self._state.startswith("paused"):
            self._state = f"paused · {self._state}"
        self._details = [d for d in self._details if not (d.endswith("img/s") or d.startswith("ETA"))]
        self.refresh()

    def epoch_done(self, epoch: int, epochs: int) -> None:
        """An epoch has ended: its word changes, the figures stay until the next epoch's first report."""
        self._state = f"epoch {epoch}/{epochs}"
        if self._fraction is not None:
            self._fraction = (self._fraction[1], self._fraction[1])
        self.refresh()

    @property
    def epoch_text(self) -> str:
        return self._state

    @property
    def text(self) -> str:
        return self.fit(self.size.width or 120).plain
