"""The status line: what the run is doing now (epoch k/N and its steps, or the split being evaluated),
images/s, ETA, device and GPU memory. It shows only what is true now: a finished, stopped or refused
run keeps its word and loses the bar, the rate and the countdown.

It never clips: when the terminal is narrow the bar shortens, then the fields give way in the order of
engine.progress_line.RANKS (memory, device, rate, ..., the ETA last), the early-stopping counter taking
shorter forms ("pat 2/5") rather than going.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from rdfia_tui.engine.events import Patience
from rdfia_tui.engine.patience import patience_forms
from rdfia_tui.engine.progress_line import BAR_WIDTH, LineField, fit_line


def format_eta(seconds: float) -> str:
    if seconds != seconds or seconds < 0:
        return "--:--"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


BAR_LABEL = len(" 100%")  # the percentage after the bar
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
        self._details: list[LineField] = []  # in the order shown: rate, ETA, lr, patience, device, memory
        self._patience: LineField | None = None  # early stopping's counter, kept until the next state word

    def render(self) -> Text:
        return self.fit(self.size.width or 120)

    def fit(self, width: int) -> Text:
        """The line for ``width`` columns: the bar shrinks first, then details shorten or go by priority
        (engine.progress_line.fit_line)."""
        fitted = fit_line(width, self._state, self._details, bar=self._fraction is not None, bar_label=BAR_LABEL)
        line = Text(self._state, style="bold")
        if self._fraction is not None and fitted.bar_width:
            line.append("  " + progress_bar(*self._fraction, width=fitted.bar_width), style="cyan")
        for detail in fitted.fields:
            line.append("  " + detail)
        line.truncate(width, overflow="ellipsis")
        return line

    def set_state(self, text: str) -> None:
        """Only a word (idle, starting…, finished, stopped, refused): no bar, no rate, no countdown."""
        self._state, self._fraction, self._details, self._patience = text, None, [], None
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
        self._details = [
            LineField("rate", (f"{rate:,.0f} img/s",)),
            LineField("eta", (f"ETA {format_eta(eta)}",)),
            *([LineField("lr", (f"lr {lr:.3g}",))] if lr is not None else []),
            *([self._patience] if self._patience else []),
            LineField("device", (device,)),
            *([LineField("memory", (memory,))] if memory else []),
        ]
        self.refresh()

    def set_patience(self, patience: Patience) -> None:
        """Early stopping's counter after an epoch ("patience 2/5, best 71.2% at epoch 12", "pat 2/5" when narrow):
        it replaces the one shown now, and the next progress report shows it after the learning rate."""
        self._patience = LineField("patience", patience_forms(patience))
        self._details = [self._patience if d.kind == "patience" else d for d in self._details]
        self.refresh()

    def show_evaluation(self, epoch: int, epochs: int, split: str, done: int, total: int, rate: float, device: str) -> None:
        self._state = f"epoch {epoch}/{epochs} · {SPLIT_WORDS.get(split, 'evaluating ' + split)}"
        self._fraction = (done, max(total, 1))
        self._details = [LineField("rate", (f"{rate:,.0f} img/s",)), LineField("device", (device,))]
        self.refresh()

    def pause(self) -> None:
        """Paused: the step bar and the device stay; the rate and the ETA, which a pause makes false, go."""
        if not self._state.startswith("paused"):
            self._state = f"paused · {self._state}"
        self._details = [d for d in self._details if d.kind not in ("rate", "eta")]
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
