"""The Lesson tab: the preset's question, what to watch, the report's errors corrected, and each quantity the lesson
names, computed from the form and the run's epochs (engine.lessons), redrawn as either changes."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from rdfia_tui.engine.config import RunConfig, with_absolute_paths
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
            out.append("  Correct: ", style="bold green").append(f"{erratum.correct}\n", style="green")
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
        self.reference: RunConfig | None = None  # the config the lesson was written for (the preset as loaded)
        self.run_config: dict[str, Any] | None = None  # the config of the run whose epochs are kept
        self.epochs: list[EpochMetrics] = []
        self.facts = RunFacts()
        self.note = ""  # a line above the lesson: why the measured values are hidden, or the form's error
        self.view: LessonView | None = None

    def compose(self):
        yield Static("choose a preset to see its lesson", id="lesson-text")

    def follow_config(self, cfg: RunConfig, reference: RunConfig | None = None) -> None:
        """The form's config changed: recompute the quantities for it (``reference``: the preset it was loaded as)."""
        self.cfg, self.reference, self.note = cfg, reference, ""
        self._redraw()

    def form_invalid(self, error: str) -> None:
        """The form cannot be read: say so above the values of the last valid config."""
        self.note = f"The form has an error ({error}); the values below are for the last valid config."
        self._redraw()

    def run_started(self, config: dict[str, Any], n_train: int, steps_per_epoch: int) -> None:
        """A run began (its config as RunStarted sends it): its epochs replace the last run's."""
        self.run_config, self.epochs, self.facts = config, [], RunFacts(n_train, steps_per_epoch)
        self._redraw()

    def add_epoch(self, metrics: EpochMetrics) -> None:
        """An epoch ended: the measured quantities (loss at epoch 0, accuracy, gap, lr used) follow it."""
        self.epochs.append(metrics)
        self._redraw()

    def _measured(self) -> tuple[list[EpochMetrics], str]:
        """The run's epochs when the form holds the run's config; else none, and a line that says why."""
        if not self.epochs or self.cfg is None or self.run_config is None:
            return self.epochs, ""
        if with_absolute_paths(self.cfg).to_dict() == self.run_config:  # as the run records it
            return self.epochs, ""
        return [], "The measured values are hidden: the form's config is not the run's (r, then a run, shows its own)."

    def _redraw(self) -> None:
        if self.cfg is None:
            return
        epochs, hidden = self._measured()
        facts = self.facts if epochs else RunFacts()
        self.view = lesson_view(self.cfg, epochs, facts, self.reference)
        text = lesson_text(self.view)
        for line in (hidden, self.note):
            if line:
                text = Text(f"{line}\n", style="italic yellow") + text
        self.query_one("#lesson-text", Static).update(text)

    def plain(self) -> str:
        """What the panel shows, as plain text (for tests and the log)."""
        return str(self.query_one("#lesson-text", Static).render()) if self.view is not None else ""
