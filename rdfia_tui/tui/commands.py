"""The command palette lists every action that has a binding id: the app's and the screen's."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

# Textual's own entries that the app replaces with its own (its screenshot needs ~/Downloads; its
# quit would not stop a run cleanly)
REPLACED = frozenset({"Quit", "Screenshot"})


def system_commands(inherited: Iterable[SystemCommand]) -> Iterable[SystemCommand]:
    """Textual's palette entries, less those the app has its own version of."""
    return (command for command in inherited if command.title not in REPLACED)


def available(owner: Screen | App, action: str, screen: Screen) -> bool:
    """Whether ``action`` is available on ``screen`` (not on the palette itself, which is a screen too)."""
    check = getattr(owner, "available", None)
    return bool(check(action, screen)) if check is not None and owner is not screen else owner.check_action(action, ()) is not False


def binding_commands(app: App, screen: Screen) -> Iterable[SystemCommand]:
    """One palette entry per binding with an id, the screen's then the app's; one not available now says so."""
    for owner in (screen, app):
        for binding in owner.BINDINGS:
            if not (isinstance(binding, Binding) and binding.id):
                continue
            action, help_text = binding.action, binding.tooltip or binding.description
            if not available(owner, action, screen):
                help_text += " (not available now)"

            async def run(action: str = action, owner: Screen | App = owner, label: str = binding.description) -> None:
                if not available(owner, action, app.screen):
                    app.notify(f"{label}: not available now", severity="warning")
                    return
                await owner.run_action(action)

            yield SystemCommand(f"{binding.description} ({binding.key_display or binding.key})", help_text, run)
