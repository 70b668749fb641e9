"""The hyper-parameter form, generated from the config dataclasses: a new key needs no UI code."""

from __future__ import annotations

import dataclasses
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Collapsible, Input, Label, Select, Static, Switch

from rdfia_tui.engine.config import SECTIONS, ConfigError, FieldSpec, RunConfig, check_value, field_specs, parse_text, validate

# Sections open when the form first shows; the rest stay folded to keep it short.
OPEN_SECTIONS = ("model", "optim", "train")


def field_id(key: str) -> str:
    return "field-" + key.replace(".", "-").replace("_", "-")


def as_text(value: Any) -> str:
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    return str(value)


class FieldRow(Widget):
    """A label, the editing widget and the engine's message for one key."""

    DEFAULT_CSS = """
    FieldRow { height: auto; }
    FieldRow Horizontal { height: 1; }
    FieldRow .field-label { width: 18; padding-right: 1; color: $text-muted; text-wrap: nowrap; text-overflow: ellipsis; }
    FieldRow Input, FieldRow Select { width: 1fr; }
    FieldRow Switch { border: none; height: 1; padding: 0; width: 6; }
    FieldRow Switch > .switch--slider { color: $primary; background: $panel-darken-2; }
    FieldRow .switch-state { width: auto; padding: 0 1; color: $text-muted; }
    FieldRow .field-error { color: $error; height: auto; display: none; padding: 0 0 0 2; }
    FieldRow.-invalid .field-error { display: block; }
    FieldRow.-unused { display: none; }
    FieldRow.-invalid .field-label { color: $error; }
    """

    def __init__(self, spec: FieldSpec) -> None:
        super().__init__(id=field_id(spec.key) + "-row")
        self.spec = spec
        self.tooltip = spec.help

    def compose(self) -> ComposeResult:
        spec, fid = self.spec, field_id(self.spec.key)
        with Horizontal():
            yield Label(spec.name, classes="field-label")
            if spec.choices is not None and spec.type is str:
                yield Select([(c, c) for c in spec.choices], value=spec.default, allow_blank=False, compact=True, id=fid)
            elif spec.type is bool:
                yield Switch(value=spec.default, id=fid)
                yield Label("on" if spec.default else "off", classes="switch-state")
            else:
                yield Input(as_text(spec.default), compact=True, id=fid, select_on_focus=False)
        yield Static("", classes="field-error")

    @property
    def editor(self) -> Input | Select | Switch:
        return self.query_one("#" + field_id(self.spec.key))

    def read(self) -> Any:
        """The field's value in the config's type; raises ConfigError when it does not parse or check."""
        editor = self.editor
        value = editor.value if not isinstance(editor, Input) else parse_text(self.spec, editor.value)
        check_value(self.spec, value)
        return value

    def write(self, value: Any) -> None:
        editor = self.editor
        editor.value = as_text(value) if isinstance(editor, Input) else value

    def sync_state(self) -> None:
        """Spell out a switch's state: a one-line switch is easy to misread."""
        if isinstance(self.editor, Switch):
            self.query_one(".switch-state", Label).update("on" if self.editor.value else "off")

    def show_error(self, message: str | None) -> None:
        self.set_class(bool(message), "-invalid")
        self.query_one(".field-error", Static).update(message or "")

    @property
    def error(self) -> str:
        return str(self.query_one(".field-error", Static).render()) if self.has_class("-invalid") else ""


class ConfigForm(VerticalScroll):
    """Every key of every section; posts ``Changed`` with the config, or the errors that block it."""

    DEFAULT_CSS = """
    ConfigForm { height: 1fr; }
    ConfigForm Collapsible { padding: 0; border-top: none; }
    ConfigForm CollapsibleTitle { width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    ConfigForm #form-error { color: $error; height: auto; }
    """

    class Changed(Message):
        def __init__(self, config: RunConfig | None, errors: dict[str, str]) -> None:
            super().__init__()
            self.config = config
            self.errors = errors

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.base = RunConfig()
        self.config: RunConfig | None = None  # until a preset is loaded
        self.errors: dict[str, str] = {}
        self.loaded = False
        self.built = False  # the rows are mounted just after the first frame

    def compose(self) -> ComposeResult:
        yield Static("", id="form-error")
        for section, cls in SECTIONS.items():
            yield Collapsible(title=f"{section} · {cls.__doc__ or ''}", collapsed=section not in OPEN_SECTIONS, id=f"section-{section}")

    def on_mount(self) -> None:
        # Composing and styling the ~65 rows is most of the console's start (0.9 s of 1.4 s on
        # two cores): the first frame goes out without them, and they follow at once.
        self.call_after_refresh(self._build_rows)

    async def _build_rows(self) -> None:
        for section in SECTIONS:
            contents = self.query_one(f"#section-{section}", Collapsible).query_one(Collapsible.Contents)
            await contents.mount_all([FieldRow(spec) for spec in field_specs() if spec.section == section])
        self.built = True
        if self.loaded:
            self.load(self.base)

    def rows(self) -> dict[str, FieldRow]:
        return {row.spec.key: row for row in self.query(FieldRow)}

    def load(self, cfg: RunConfig) -> None:
        """Show ``cfg``'s values (a preset or a recorded run's config)."""
        self.base, self.loaded = cfg, True
        if not self.built:
            return  # shown once the rows are mounted
        with self.prevent(Input.Changed, Select.Changed, Switch.Changed):
            for key, row in self.rows().items():
                section, name = key.split(".")
                row.write(getattr(getattr(cfg, section), name))
        self.revalidate()

    def set_value(self, key: str, value: Any) -> None:
        """Change one field as a user would (it posts Changed after validation)."""
        self.rows()[key].write(value)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.revalidate()

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self.revalidate()

    def on_switch_changed(self, event: Switch.Changed) -> None:
        event.stop()
        self.revalidate()

    def hide_unused(self, cfg: RunConfig, errors: dict[str, str]) -> None:
        """Hide the keys ``cfg`` does not use (never one that holds an error); each section's title counts them."""
        hidden: dict[str, int] = dict.fromkeys(SECTIONS, 0)
        for key, row in self.rows().items():
            unused = not row.spec.used_by(cfg) and key not in errors
            row.set_class(unused, "-unused")
            hidden[row.spec.section] += unused
        for section, cls in SECTIONS.items():
            note = f" · {hidden[section]} unused hidden" if hidden[section] else ""
            self.query_one(f"#section-{section}", Collapsible).title = f"{section}{note} · {cls.__doc__ or ''}"

    def show_first_error(self) -> None:
        """Scroll the first field with an error, and its message, into view."""
        invalid = [row for row in self.rows().values() if row.has_class("-invalid")]
        if invalid:
            invalid[0].scroll_visible(animate=False)

    def revalidate(self) -> None:
        """Check each field, then the whole config; mark errors at their fields and post Changed."""
        if not (self.loaded and self.built):
            return  # the widgets still hold the dataclass defaults, not a preset
        rows = self.rows()
        values: dict[str, dict[str, Any]] = {section: {} for section in SECTIONS}
        errors: dict[str, str] = {}
        for key, row in rows.items():
            try:
                section, name = key.split(".")
                values[section][name] = row.read()
            except ConfigError as exc:
                errors[key] = str(exc)
        config: RunConfig | None = None
        form_error = ""
        if not errors:
            try:
                config = validate(dataclasses.replace(self.base, **{section: cls(**values[section]) for section, cls in SECTIONS.items()}))
            except ConfigError as exc:
                errors[exc.key if exc.key in rows else "form"] = str(exc)
        for key, row in rows.items():
            row.show_error(errors.get(key))
            row.sync_state()
        self.hide_unused(config or self.config or self.base, errors)
        form_error = errors.get("form", "")
        self.query_one("#form-error", Static).update(form_error)
        self.config, self.errors = config, errors
        self.post_message(self.Changed(config, errors))
