"""The preset list with descriptions, filtered as you type.

Typing on the list goes to the filter, except a run key (s, r, q…) while the filter is empty:
``moons`` filters (its final s is typed into the filter), ``s`` alone starts the run. Enter picks
the first match and hands the keys back to the list; Esc clears the filter. During a run, the
keys are the run's.
"""

from __future__ import annotations

import textwrap

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from rdfia_tui.engine.presets import PresetInfo, list_presets

DESCRIPTION_LINES = 4


def fit_lines(text: str, width: int, lines: int) -> str:
    """``text`` wrapped to ``width``; beyond ``lines`` lines, cut at a word and ended with "…"."""
    wrapped = textwrap.wrap(text, width)
    if len(wrapped) <= lines:
        return "\n".join(wrapped)
    kept = wrapped[:lines]
    kept[-1] = textwrap.shorten(kept[-1] + " " + wrapped[lines], width, placeholder=" …")
    if not kept[-1].endswith("…"):
        kept[-1] = kept[-1][: width - 2].rstrip() + " …"
    return "\n".join(kept)


class PresetPicker(Vertical):
    BINDINGS = [Binding("escape", "clear_filter", "Clear filter", id="clear-filter", tooltip="Empty the filter; the keys act again")]

    DEFAULT_CSS = """
    PresetPicker { height: 13; }
    PresetPicker Input { height: 1; }
    PresetPicker OptionList { height: 1fr; border: none; padding: 0; }
    PresetPicker OptionList:focus { border: none; }
    PresetPicker #preset-description { height: 4; color: $text-muted; padding: 0 1; }
    """

    class Chosen(Message):
        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    def __init__(self, selected: str | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.presets: list[PresetInfo] = list_presets()
        self.selected = selected

    def compose(self) -> ComposeResult:
        yield Input(placeholder="type to filter", compact=True, select_on_focus=False, id="preset-filter")
        yield OptionList(id="preset-list")
        yield Static("", id="preset-description")

    def on_mount(self) -> None:
        self.apply_filter("")

    def apply_filter(self, text: str) -> None:
        words = text.lower().split()
        options = self.query_one(OptionList)
        options.clear_options()
        matches = [p for p in self.presets if all(w in (p.name + " " + p.description).lower() for w in words)]
        # names that match come first: "sgd" means circles-sgd before the presets whose description says SGD
        shown = sorted(matches, key=lambda p: not all(w in p.name.lower() for w in words))
        options.add_options([Option(p.name, id=p.name) for p in shown])
        names = [p.name for p in shown]
        if self.selected in names:
            options.highlighted = names.index(self.selected)
        if not shown:
            self.query_one("#preset-description", Static).update(f"no preset matches {text!r}; Esc clears the filter")
        elif not text:
            self._show_description()

    def visible_names(self) -> list[str]:
        options = self.query_one(OptionList)
        return [options.get_option_at_index(i).id for i in range(options.option_count)]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action != "clear_filter" or self.query_one(Input).has_focus or bool(self.query_one(Input).value)

    def action_clear_filter(self) -> None:
        self.query_one(Input).value = ""
        self.query_one(OptionList).focus()

    def on_key(self, event: events.Key) -> None:
        """Letters typed on the list go to the filter, unless the filter is empty and the key runs an action."""
        field = self.query_one(Input)
        if field.has_focus:
            return
        if not (event.is_printable and event.character) or event.key == "space" or getattr(self.app, "running", False):
            return  # during a run the keys are the run's (p, x, l…), and its dialogs take what follows them
        if not field.value and self._is_action_key(event.key):
            return
        event.stop()
        field.focus()
        field.insert_text_at_cursor(event.character)

    def _is_action_key(self, key: str) -> bool:
        binding = self.app.active_bindings.get(key)
        return binding is not None and binding.enabled

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self.describe(event.option.id)

    def describe(self, name: str | None, fallback: str = "") -> None:
        """Show ``name``'s description (the preset the form holds, or the one under the cursor); ``fallback``
        for a config that is no shipped preset (a preset file, a recorded run)."""
        info = next((p for p in self.presets if p.name == name), None)
        self.description = info.description if info else fallback
        self._show_description()

    def on_resize(self) -> None:
        self._show_description()

    def _show_description(self) -> None:
        """The description in the box's lines; one that does not fit ends with "…" (never cut mid-word)."""
        box = self.query_one("#preset-description", Static)
        width = max(box.size.width - 2, 10) if box.size.width else 40
        box.update(fit_lines(getattr(self, "description", ""), width, DESCRIPTION_LINES))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.apply_filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        names = self.visible_names()
        if names:
            self.choose(names[0])
            event.input.value = ""
            self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.choose(event.option.id)

    def choose(self, name: str) -> None:
        self.show_selected(name)
        self.post_message(self.Chosen(name))

    def show_selected(self, name: str, fallback: str = "") -> None:
        """Highlight ``name`` (when it is a shipped preset) and describe it (``fallback`` when it is not), without
        loading it again."""
        self.selected = name
        names = self.visible_names()
        if name in names:
            self.query_one(OptionList).highlighted = names.index(name)
        self.describe(name, fallback)
