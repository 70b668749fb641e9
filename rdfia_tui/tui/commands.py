"""The command palette lists every app action that has a binding id."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen


def binding_commands(app: App, screen: Screen) -> Iterable[SystemCommand]:
    """One palette entry per app binding, titled with its description and key."""
    for binding in app.BINDINGS:
        if isinstance(binding, Binding) and binding.id:
            action = binding.action

            async def run(action: str = action) -> None:
                await app.run_action(action)

            yield SystemCommand(
                f"{binding.description} ({binding.key_display or binding.key})", binding.tooltip or binding.description, run
            )
