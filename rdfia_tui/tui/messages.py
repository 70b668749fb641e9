"""Messages the training and layer workers post to the app (never widget calls)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import wraps
from typing import Any, TypeVar

from textual.message import Message

from rdfia_tui.engine.events import BatchProgress, Event

M = TypeVar("M", bound=Message)


def while_running(handler: Callable[[Any, M], None]) -> Callable[[Any, M], None]:
    """Drop a worker's message that the app takes while it shuts down.

    A worker may post just before the app exits; Textual then handles the queued message while it removes
    the screens, and a handler that looks for a widget would crash the exit (NoMatches on the main screen).
    """

    @wraps(handler)
    def handle(app: Any, message: M) -> None:
        if app.is_running:
            handler(app, message)

    return handle


class EngineEvent(Message):
    """One engine event, carried from the worker thread to the UI thread."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event

    @property
    def merged(self) -> Event:
        """The event to show."""
        return self.event


class ProgressEvent(EngineEvent):
    """Batch progress: a newer one may replace an older one still queued; epoch events never merge.

    The per-step losses of a replaced message are handed on, so the batch curve has no gaps.
    """

    def __init__(self, event: BatchProgress) -> None:
        super().__init__(event)
        self.losses: list[float] = list(event.losses)

    @property
    def merged(self) -> BatchProgress:
        """The progress event with the per-step losses of the messages it replaced."""
        return replace(self.event, losses=tuple(self.losses))

    def can_replace(self, message: Message) -> bool:
        # Textual asks the queued (older) message whether the next one may replace it.
        if isinstance(message, ProgressEvent):
            message.losses[:0] = self.losses
            return True
        return False


class RunRefused(Message):
    """The engine refused to start (a user mistake) or crashed."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__()
        self.message = message
        self.key = key


class TrainingDone(Message):
    """The training worker has returned; the run's records are complete."""


class ConfigChanged(Message):
    """The main screen's form holds a new valid config (a preset chosen, a run opened, a field edited).

    Posted to the app by the screen itself: a ConfigForm.Changed that the screen caused (by loading the
    form) stops bubbling at the screen, its sender, so the app cannot rely on hearing that one."""

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.config = config


class LayersReady(Message):
    """A layer table (or the reason there is none) for the form's current config."""

    def __init__(self, table: Any | None, error: str | None = None) -> None:
        super().__init__()
        self.table = table
        self.error = error
