"""The runs screen's filter bar: an expression such as ``optim.name=adam test_acc>0.7``, checked by the engine on Enter."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from rdfia_tui.engine.runs.fields import QueryError
from rdfia_tui.engine.runs.query import Query, parse_query

HINT = "filter: KEY OP VALUE … e.g. optim.name=adam test_acc>0.7 (= != > >= < <= ~); empty shows every run"


class FilterBar(Vertical):
    """Hidden until opened; Enter applies a valid expression (posts Applied), says what is wrong with another on one
    line and keeps it for editing; Esc puts back the filter in force and closes (posts Closed)."""

    BINDINGS = [Binding("escape", "close", "Close filter", id="runs-filter-close", tooltip="Keep the filter in force and leave the field")]
    DEFAULT_CSS = """
    FilterBar { height: auto; display: none; }
    FilterBar.-open { display: block; }
    FilterBar Input { height: 1; }
    FilterBar #runs-filter-error { color: $error; height: auto; padding: 0 1; }
    """

    class Applied(Message):
        """A valid expression was entered (an empty one: no filter)."""

        def __init__(self, query: Query) -> None:
            super().__init__()
            self.query = query

    class Closed(Message):
        """The bar was left with Esc; the filter in force did not change."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.in_force = ""

    def compose(self) -> ComposeResult:
        yield Input(placeholder=HINT, compact=True, select_on_focus=False, id="runs-filter-input")
        yield Static("", id="runs-filter-error")

    def open(self) -> None:
        """Show the bar with the filter in force, ready to edit."""
        self.add_class("-open")
        field = self.query_one(Input)
        field.value = self.in_force
        field.cursor_position = len(field.value)
        field.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            query = parse_query(event.value)
        except QueryError as exc:
            self.query_one("#runs-filter-error", Static).update(str(exc))
            return
        self.in_force = query.text
        self.query_one("#runs-filter-error", Static).update("")
        self.set_class(bool(query.text), "-open")  # a filter in force stays in view
        self.post_message(self.Applied(query))

    def action_close(self) -> None:
        self.query_one(Input).value = self.in_force
        self.query_one("#runs-filter-error", Static).update("")
        self.set_class(bool(self.in_force), "-open")
        self.post_message(self.Closed())
