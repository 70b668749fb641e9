"""Screens that close once: keys typed fast reach a screen that is already closing, and a second ``dismiss``
would pop the screen beneath it (the main screen), leaving the app without its widgets."""

from __future__ import annotations

from typing import Any


class ClosesOnce:
    """Mixed in before Textual's Screen or ModalScreen: ``dismiss`` acts the first time only."""

    _dismissed_once = False

    def dismiss(self, result: Any = None) -> Any:
        if self._dismissed_once:
            return None
        self._dismissed_once = True
        return super().dismiss(result)  # type: ignore[misc]
