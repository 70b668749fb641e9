"""The Lesson tab: the preset's question, what to watch, the report's errors corrected, and each quantity the lesson
names, computed from the form and the run's epochs (engine.lessons), redrawn as either changes."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from rdfia_tui.engine.config import RunConfig
from rdfia_tui.engine.events import EpochMetrics
from rdfia_tui.engine.lessons.render import ADD_ONE
from rdfia_tui.engine.lessons.view import LessonView, RunFacts, lesson_view


def lesson_text(view: LessonView) -> Text:
    """The view as styled text: words wrap to the panel, formula lines keep their columns (no wrap)."""
    out = Text()
    lesson = view.lesson
    if lesson is None:
        out.append(f"{view.preset}: {ADD_ONE}\n", style="italic")
    else:
        out.append(f"{lesson.heading}\n", style="bold")
        out.append("Question: ", style="bold").append(f"{lesson.question}\n")
        out.append("Watch: ", style="bold").append(f"{lesson.watch}\n")
        for erratum in lesson.errata:
            out.append(f"The report ({erratum.question}): ", style="bold red").append(f"{erratum.report}\n", style="red")
            out.append("  correct: ", style="bold green").append(f"{erratum.correct}\n", style="green")
    for block in view.blocks:
        out.append(f"\n{block.title}\n", style="bold underline")
        for line in block.lines:
            out.append(f"  {line}\n")
        for problem in block.problems:
            out.append(f"  ✗ {problem}\n", style="bold red")
    out.rstrip()
    return out


class LessonPanel(VerticalScroll, can_focus=True):
    """Scrolls with the arrow keys, page keys and the mouse wheel once focused (tab, or a click)."""

    DEFAULT_CSS = """
    LessonPanel { height: auto; max-height: 100%; padding: 0 1; }
    LessonPanel > Static { width: 100%; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.cfg: RunConfig | None = None
        self.epochs: list[EpochMetrics] = []
        self.facts = RunFacts()
        self.view: LessonView | None = None

    def compose(self):
        yield Static("choose a preset to see its lesson", id="lesson-text")

    def follow_config(self, cfg: RunConfig) -> None:
        """The form's config changed: recompute the quantities for it."""
        self.cfg = cfg
        self._redraw()

    def run_started(self, n_train: int, steps_per_epoch: int) -> None:
        """A run began: its epochs replace the last run's."""
        self.epochs, self.facts = [], RunFacts(n_train, steps_per_epoch)
        self._redraw()

    def add_epoch(self, metrics: EpochMetrics) -> None:
        """An epoch ended: the measured quantities (loss at epoch 0, accuracy, gap, lr used) follow it."""
        self.epochs.append(metrics)
        self._redraw()

    def set_epochs(self, epochs: Sequence[EpochMetrics]) -> None:
        self.epochs = list(epochs)
        self._redraw()

    def _redraw(self) -> None:
        if self.cfg is None:
            return
        self.view = lesson_view(self.cfg, self.epochs, self.facts)
        self.query_one("#lesson-text", Static).update(lesson_text(self.view))

    def plain(self) -> str:
        """What the panel shows, as plain text (for tests and the log)."""
        return lesson_text(self.view).plain if self.view is not None else ""
