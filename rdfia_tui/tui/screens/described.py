"""A run's curves described in words (engine.runs.describe), in a dialog: plain sentences a screen reader reads
in order, no chart characters."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from rdfia_tui.tui.screens.closing import ClosesOnce


class DescribedRun(ClosesOnce, ModalScreen[None]):
    """The sentences of one run's description, one paragraph each; escape closes."""

    DEFAULT_CSS = """
    DescribedRun { align: center middle; }
    DescribedRun > VerticalScroll { width: 90; max-width: 100%; height: auto; max-height: 90%; border: thick $primary;
                                    background: $surface; padding: 0 1; }
    DescribedRun .sentence { margin-bottom: 1; }
    """
    BINDINGS = [Binding("escape,q,i", "close", "Close", id="described-close", tooltip="Close the description")]

    def __init__(self, sentences: tuple[str, ...] | list[str]) -> None:
        super().__init__()
        self.sentences = tuple(sentences)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="described"):
            for sentence in self.sentences:
                yield Static(sentence, classes="sentence", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)


def describe_newest(screen: Any) -> None:
    """From the main screen: the run the console follows or followed last, else the newest training run in the runs folder,
    described in a dialog; a folder whose records cannot be read, or no run at all, is said in one line."""
    from rdfia_tui.engine.errors import RecordError
    from rdfia_tui.engine.runs.describe import describe_run
    from rdfia_tui.engine.runs.listing import find_run

    try:
        run_dir = screen.app.run_dir or find_run(screen.app.runs_dir, "latest", training_first=True)
        description = describe_run(run_dir)
    except RecordError as exc:
        screen.notify(str(exc), severity="warning")
        return
    screen.log_line(f"described in words: {run_dir}")
    screen.app.push_screen(DescribedRun(description.sentences))
