"""Keys as a new user types them: a filter that filters, a dialog that keeps every character, footer
and palette that list what works now."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import events
from textual.widgets import Input, OptionList, Static
from tui_fakes import ScriptedEngine, wait_for

from rdfia_tui.engine.presets import load_preset
from rdfia_tui.tui.app import create_app
from rdfia_tui.tui.options import AppOptions
from rdfia_tui.tui.screens.dialogs import LearningRateDialog


def make(tmp_path: Path, engine: ScriptedEngine | None = None):
    return create_app(AppOptions(runs_dir=tmp_path / "runs"), engine=engine or ScriptedEngine())


async def loaded(pilot, app) -> None:
    await wait_for(pilot, lambda: app.main.form.config is not None)


def description(app) -> str:
    return str(app.main.query_one("#preset-description", Static).render())


async def test_typing_on_the_list_filters_and_never_starts_a_run(tmp_path: Path) -> None:
    """'moons' used to start circles-mlp on its final s; 'cifar' opened the runs screen on its r."""
    engine = ScriptedEngine()
    app = make(tmp_path, engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        assert isinstance(app.focused, OptionList)
        await pilot.press(*"moons")
        await pilot.pause(0.1)
        assert app.main.query_one("#preset-filter", Input).value == "moons"
        assert engine.runs == [] and not app.running
        assert app.main.query_one("#presets").visible_names() == ["moons-mlp"]
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.main.form.config is not None and app.main.form.config.name == "moons-mlp")
        assert " ".join(description(app).split()) == load_preset("moons-mlp").description  # the description follows the choice
        assert isinstance(app.focused, OptionList) and app.main.query_one("#preset-filter", Input).value == ""
        await pilot.press(*"cifar")
        await pilot.pause(0.1)
        assert type(app.screen).__name__ == "MainScreen"  # its r did not open the runs screen


async def test_run_keys_act_while_the_filter_is_empty(tmp_path: Path) -> None:
    engine = ScriptedEngine()
    app = make(tmp_path, engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        await pilot.press("s")
        await wait_for(pilot, lambda: len(engine.runs) == 1)


async def test_escape_clears_the_filter_and_hands_keys_back(tmp_path: Path) -> None:
    engine = ScriptedEngine()
    app = make(tmp_path, engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        await pilot.press("d", "i", "g")
        await pilot.press("escape")
        assert app.main.query_one("#preset-filter", Input).value == ""
        assert isinstance(app.focused, OptionList)
        await pilot.press("s")
        await wait_for(pilot, lambda: len(engine.runs) == 1)


@pytest.mark.parametrize("text", ["1e-2", "5e-4"])
async def test_the_lr_dialog_keeps_every_character_typed_right_after_l(tmp_path: Path, text: str) -> None:
    """A terminal delivers 'l1e-2' in one burst: the characters arrive before the dialog's field has focus."""
    engine = ScriptedEngine(steps=500, step_delay=0.01)
    app = make(tmp_path, engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        await pilot.press("s")
        await wait_for(pilot, lambda: engine.progress_sent >= 2)
        for ch in "l" + text:
            app.post_message(events.Key("minus" if ch == "-" else ch, ch))
        await wait_for(pilot, lambda: isinstance(app.screen, LearningRateDialog) and [f.value for f in app.screen.query(Input)] == [text])
        await pilot.press("enter")
        await wait_for(pilot, lambda: float(text) in engine.lr_requests)
        await pilot.press("x")
        await wait_for(pilot, lambda: not app.running)


@pytest.mark.parametrize("text", ["1e400", "abc", "-1", "0"])
def test_the_lr_dialog_says_what_the_form_says(text: str) -> None:
    """The dialog checks a rate with the form's own code: 1e400 is 'must be a finite number' in both."""
    from rdfia_tui.engine.config import ConfigError, check_value, parse_text, spec_for
    from rdfia_tui.tui.screens.dialogs import parse_lr

    spec = spec_for("optim.lr")
    with pytest.raises(ConfigError) as form:
        check_value(spec, parse_text(spec, text))
    with pytest.raises(ValueError) as dialog:
        parse_lr(text)
    assert str(dialog.value) == str(form.value)


async def test_run_controls_show_only_during_a_run(tmp_path: Path) -> None:
    engine = ScriptedEngine(steps=500, step_delay=0.01)
    app = make(tmp_path, engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        footer = {b.binding.key for b in app.active_bindings.values() if b.enabled and b.binding.show}
        assert {"s", "r", "w", "q"} <= footer and not {"p", "x", "l"} & footer
        await pilot.press("s")
        await wait_for(pilot, lambda: engine.progress_sent >= 1)
        footer = {b.binding.key for b in app.active_bindings.values() if b.enabled and b.binding.show}
        assert {"p", "x", "l", "q"} <= footer
        await pilot.press("x")
        await wait_for(pilot, lambda: not app.running)


async def test_the_palette_has_every_action_once(tmp_path: Path) -> None:
    app = make(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for word in ("Panels", "Sweeps", "Start", "Runs", "Pause", "LR"):
            assert sum(t.startswith(word) for t in titles) == 1, word
        assert sum(t.startswith("Quit") for t in titles) == 1 and "Screenshot" not in titles  # the app's, not Textual's
        pause = next(c for c in app.get_system_commands(app.screen) if c.title.startswith("Pause"))
        assert "not available now" in pause.help
