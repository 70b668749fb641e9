"""Modal dialogs: confirm quitting a run, and set the learning rate now."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from rdfia_tui.engine.config import ConfigError, check_value, parse_text, spec_for
from rdfia_tui.tui.screens.closing import ClosesOnce

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 60; height: auto; border: thick $primary; background: $surface; padding: 1 2; }}
{name} Horizontal {{ height: auto; align-horizontal: right; margin-top: 1; }}
{name} Button {{ margin-left: 2; }}
{name} .dialog-error {{ color: $error; height: auto; }}
"""


class ConfirmQuit(ClosesOnce, ModalScreen[str | None]):
    """Asked when quitting during a run. Answers "stop" (stop it cleanly, then quit), "detach" (leave it
    training in its own process and quit; only offered when it is one), or None (cancel: stay)."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmQuit") + """
    ConfirmQuit > Vertical { width: 84; max-width: 100%; }
    ConfirmQuit Button { min-width: 10; }
    """
    BINDINGS = [
        Binding("y,s", "answer('stop')", "Stop and quit", id="confirm-yes"),
        Binding("d", "answer('detach')", "Leave it running", id="confirm-detach"),
        Binding("n,escape,c", "answer(None)", "Cancel", id="confirm-no"),
    ]

    def __init__(self, detachable: bool = False) -> None:
        super().__init__()
        self.detachable = detachable

    def compose(self) -> ComposeResult:
        with Vertical():
            if self.detachable:
                yield Static(
                    "A run is in progress. Leave it training (it goes on without the console; "
                    "'rdfia-tui attach' follows it again), or stop it after the current step (its records are kept)?"
                )
            else:
                yield Static("A run is in progress. Stop it after the current step (its records are kept) and quit?")
            with Horizontal():
                yield Button("Cancel (n)", id="cancel")
                if self.detachable:
                    yield Button("Leave it running (d)", variant="primary", id="detach")
                yield Button("Stop it (y)", variant="error", id="stop")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.detachable or parameters != ("detach",)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None if event.button.id == "cancel" else event.button.id)

    def action_answer(self, answer: str | None) -> None:
        self.dismiss(answer)


class Confirm(ClosesOnce, ModalScreen[bool]):
    """A yes/no question: y (or the yes button) answers True; n, Esc or the no button answer False."""

    DEFAULT_CSS = DIALOG_CSS.format(name="Confirm")
    BINDINGS = [Binding("y", "answer(True)", "Yes", id="confirm-y"), Binding("n,escape", "answer(False)", "No", id="confirm-n")]

    def __init__(self, question: str, yes: str, no: str = "Cancel (n)") -> None:
        super().__init__()
        self.question, self.yes, self.no = question, yes, no

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question)
            with Horizontal():
                yield Button(self.no, id="no")
                yield Button(self.yes, variant="primary", id="yes")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


def parse_lr(text: str) -> float:
    """A learning rate the form's optim.lr field would accept, or ValueError with the form's own message."""
    spec = spec_for("optim.lr")
    try:
        value = parse_text(spec, text)
        check_value(spec, value)
    except ConfigError as exc:
        raise ValueError(str(exc)) from None
    return value


class LearningRateDialog(ClosesOnce, ModalScreen[float | None]):
    """Type a new learning rate; it applies from the next step."""

    DEFAULT_CSS = DIALOG_CSS.format(name="LearningRateDialog")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="lr-cancel")]

    def __init__(self, current: float) -> None:
        super().__init__()
        self.current = current
        self.typed_ahead = ""  # keys typed before the dialog was on screen (the app collects them)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"Learning rate now {self.current:g}. New value (applies from the next step; the schedule continues from it):")
            yield Input(placeholder="a number, e.g. 1e-3 or 0.05 (Enter with nothing keeps the rate)", select_on_focus=False, id="lr-input")
            yield Static("", classes="dialog-error")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Apply", variant="primary", id="apply")

    def on_mount(self) -> None:
        field = self.query_one(Input)
        field.focus()
        if self.typed_ahead:
            field.insert_text_at_cursor(self.typed_ahead)
            self.typed_ahead = ""
        self.app._typeahead = None

    def take(self, character: str) -> None:
        """A key typed before the field had focus: into the field, in order (kept for on_mount while the screen is
        not mounted, or mounted before its children are: a burst of keys can arrive in between)."""
        fields = self.query(Input) if self.is_mounted else None
        if not fields:
            self.typed_ahead += character
            return
        field = fields.first()
        field.focus()
        field.insert_text_at_cursor(self.typed_ahead + character)
        self.typed_ahead = ""

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._apply()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "apply":
            self._apply()
        else:
            self.dismiss(None)

    def _apply(self) -> None:
        text = self.query_one(Input).value
        if not text.strip():
            self.dismiss(None)  # nothing typed: the rate stays
            return
        try:
            self.dismiss(parse_lr(text))
        except ValueError as exc:
            self.query_one(".dialog-error", Static).update(str(exc))

    def action_cancel(self) -> None:
        self.dismiss(None)
