"""The Textual app: owns the run session and the screens; how runs start, are followed and end is run_lifecycle's."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from rdfia_tui.engine.config import RunConfig, apply_overrides
from rdfia_tui.engine.errors import ConfigError, RdfiaError
from rdfia_tui.engine.memory_fit import estimate_in_child
from rdfia_tui.engine.presets import load_preset
from rdfia_tui.engine.runs.record import resolve_runs_dir
from rdfia_tui.engine.text_checks import shown
from rdfia_tui.tui.commands import binding_commands, system_commands
from rdfia_tui.tui.messages import ConfigChanged, LayersReady, while_running
from rdfia_tui.tui.options import DEFAULT_PRESET, AppOptions
from rdfia_tui.tui.run_lifecycle import RunLifecycle
from rdfia_tui.tui.runner import Engine, ProcessEngine
from rdfia_tui.tui.screens.choices import RunsChoice, RunsChosen
from rdfia_tui.tui.screens.dialogs import ConfirmQuit, LearningRateDialog
from rdfia_tui.tui.screens.main import MainScreen
from rdfia_tui.tui.session import RunSession
from rdfia_tui.tui.system import on_termination, terminal_alive


class RdfiaApp(RunLifecycle, App):
    """rdfia-tui: pick a preset, tune it, train it, watch it, compare it."""

    TITLE = "rdfia-tui"
    CSS_PATH = "app.tcss"
    # in the footer's order: what a small terminal must keep (Quit) comes before what it may lose
    BINDINGS = [
        Binding("s", "start", "Start", id="start", tooltip="Start training the form's config"),
        Binding("p", "pause", "Pause", id="pause", tooltip="Pause the run after the current step"),
        Binding("p", "resume", "Resume", id="resume", tooltip="Resume the paused run"),
        Binding("x", "stop", "Stop", id="stop", tooltip="Stop after the current step; records are kept"),
        Binding("l", "change_lr", "LR", id="change-lr", tooltip="Set the learning rate now; it applies from the next step"),
        Binding("q", "quit", "Quit", id="quit", tooltip="Quit (asks first during a run)"),
        Binding("r", "runs", "Runs", id="runs", tooltip="Compare recorded runs"),
        Binding("w", "sweeps", "Sweeps", id="sweeps", tooltip="Open a sweep: accuracy grid and overlaid curves"),
        Binding(
            "ctrl+s",
            "screenshot",
            "Screenshot",
            id="screenshot",
            priority=True,
            show=False,
            tooltip="Save an SVG screenshot into the run folder",
        ),
        Binding("escape", "leave_field", "Leave field", id="leave-field", show=False, tooltip="Leave a text field so single keys work"),
    ]

    def __init__(self, options: AppOptions | None = None, engine: Engine | None = None, estimator: Any = None) -> None:
        """``engine`` stands in for torch in tests; ``estimator`` estimates the form's memory (engine.memory_fit's
        estimate_in_child for the real engine; none for a test's engine unless given)."""
        super().__init__()
        self.memory_estimator = estimator or (estimate_in_child if engine is None else None)
        self.options = options or AppOptions()
        self.runs_dir = resolve_runs_dir(self.options.runs_dir)
        self.start_now = self.options.start
        self.engine: Engine = engine or ProcessEngine()
        self.session = RunSession()
        self.left_running: Path | None = None  # the run left training when the user quit (said after the screen closes)
        self._then: Callable[[], None] | None = None  # what to do once the run followed now is let go (switching runs)
        self._typeahead: LearningRateDialog | None = None
        self._layers_for: tuple[Any, Any] | None = None

    # what the tests and the palette read of the run
    def notify(self, message: str, *, title: str = "", severity: Any = "information", timeout: float | None = None,
               markup: bool = False) -> None:  # fmt: skip
        """A toast whose text is shown as written: no markup (a message may quote '[lesson]'), no control character
        acting on the terminal (one a preset quoted shows as its escape)."""
        super().notify(shown(message, allowed="\n"), title=shown(title), severity=severity, timeout=timeout, markup=False)

    @property
    def running(self) -> bool:
        return self.session.running

    @property
    def run_dir(self) -> Path | None:
        return self.session.run_dir

    @property
    def last_status(self) -> str | None:
        return self.session.status

    @property
    def holds_a_run(self) -> bool:
        """A run goes in a thread of this console: another cannot start until it ends (a run of its own
        process is let go instead)."""
        return self.session.running and not self.session.remote

    # ---- set-up -------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.main = MainScreen(self.options.preset_name, self.session)
        self.push_screen(self.main)
        self.call_after_refresh(self._initial_config)
        on_termination(self._terminate)

    def _terminate(self, signum: int) -> None:
        """SIGTERM and SIGHUP (a dropped SSH session) end the console with status 143, restoring the terminal.
        A run of its own goes on (attach to it again with 'rdfia-tui attach'); a run in a thread of the
        console is stopped and recorded as stopped first."""
        name = signal.Signals(signum).name
        if self.session.steerable and self.session.remote:
            self.session.release()  # detach: the follower returns, the run trains on
            self._exit_now(143)
            return
        if self.main.is_mounted:
            self.main.log_line(f"{name} received: stopping the run and quitting")
        if self.session.steerable:
            self.session.quit_when_done, self.session.exit_code = True, 143
            self.action_stop()
        else:
            self._exit_now(143)

    def _exit_now(self, code: int) -> None:
        """Exit with ``code``, restoring the terminal, or at once when the terminal is gone (Textual's
        restoring writes would wait forever on a hung-up terminal; the records are written already)."""
        if not terminal_alive():
            os._exit(code)
        self.exit(return_code=code)

    def _initial_config(self) -> None:
        try:
            cfg = apply_overrides(load_preset(self.options.preset_name), list(self.options.overrides))
        except ConfigError as exc:
            self.main.log_line(f"error: {exc}")
            self.notify(str(exc), severity="error", timeout=10)
            cfg = load_preset(DEFAULT_PRESET)
        self.main.load_config(cfg)
        if self.options.attach is not None:
            self.attach_run(Path(self.options.attach))

    def _start_when_ready(self) -> None:
        """--start: the first valid config the form reports starts the run, once."""
        if self.start_now:
            self.start_now = False
            self.call_after_refresh(self.action_start)

    RUN_ACTIONS = frozenset({"pause", "resume", "stop", "change_lr"})

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.available(action, self.screen)

    def available(self, action: str, screen: Screen) -> bool:
        """Whether ``action`` means something on ``screen`` now (the palette asks for the screen it was opened on)."""
        if action in self.RUN_ACTIONS | {"start"} and not isinstance(screen, MainScreen):
            return False  # the training keys belong to the main screen
        if action == "start":
            return not self.running or self.session.remote  # a run of the console's own thread: one at a time
        if action in ("pause", "resume"):
            return self.running and self.showing_paused() is (action == "resume")
        # the run controls are hidden while nothing runs: they would do nothing
        return not (action in self.RUN_ACTIONS and not self.running)

    def showing_paused(self) -> bool:
        return self.session.paused

    def on_key(self, event: events.Key) -> None:
        """A printable key that reached the app around the time the lr dialog opens belongs to its field
        (keys typed right after "l" arrive before the field has focus)."""
        dialog = self.screen if isinstance(self.screen, LearningRateDialog) else self._typeahead
        if dialog is not None and event.is_printable and event.character:
            dialog.take(event.character)
            event.stop()

    def on_unmount(self) -> None:
        self.session.release()  # a thread worker cannot be cancelled: tell the engine to stop so the app can exit

    def get_system_commands(self, screen: Screen) -> Any:
        yield from system_commands(super().get_system_commands(screen))
        yield from binding_commands(self, screen)

    # ---- form and layer table -----------------------------------------------------------
    def on_config_changed(self, message: ConfigChanged) -> None:
        cfg = message.config
        self._start_when_ready()
        key = (cfg.data, cfg.model)
        if key != self._layers_for:
            self._layers_for = key
            self._compute_layers(cfg)

    @work(thread=True, exclusive=True, exit_on_error=False, group="layers")
    def _compute_layers(self, cfg: RunConfig) -> None:
        try:
            self.post_message(LayersReady(self.engine.layer_table(cfg, self.options.data_root)))
        except RdfiaError as exc:
            self.post_message(LayersReady(None, str(exc)))

    @while_running
    def on_layers_ready(self, message: LayersReady) -> None:
        self.main.show_layers(message.table, message.error)

    def action_resume(self) -> None:
        self.action_pause()

    def action_pause(self) -> None:
        """Pause, or resume a paused run (p does the one the footer shows)."""
        if not self.session.steerable:
            return
        paused = self.session.toggle_pause()
        if not self.session.remote:  # a run of its own says when it took the command (CommandTaken)
            self.main.show_pause(paused)
        self.refresh_bindings()

    def action_stop(self) -> None:
        if self.session.stop() and not self.session.remote:  # a run of its own says when it took it (CommandTaken)
            self.main.log_line("stopping after the current step…")

    async def action_change_lr(self) -> None:
        if not self.session.steerable:
            self.notify("no run in progress: edit optim.lr in the form instead")
            return

        def apply(value: float | None) -> None:
            if value is not None:
                self.session.set_lr(value)

        dialog = LearningRateDialog(self.session.lr or 0.1)
        self._typeahead = dialog  # keys typed right after "l", before the dialog is up, are handed to it
        await self.push_screen(dialog, apply)

    def action_screenshot(self) -> None:
        folder = self.run_dir or self.runs_dir
        folder.mkdir(parents=True, exist_ok=True)
        path = self.save_screenshot(f"screenshot-{time.strftime('%Y%m%d-%H%M%S')}.svg", str(folder))
        self.main.log_line(f"screenshot saved: {path}")

    def action_leave_field(self) -> None:
        self.screen.set_focus(None)

    # ---- the runs and sweeps screens ----------------------------------------------------
    async def action_runs(self) -> None:
        from rdfia_tui.tui.screens.runs import RunsScreen

        await self.push_screen(RunsScreen(self.runs_dir), self.act_on_runs_choice)

    async def action_sweeps(self) -> None:
        from rdfia_tui.tui.screens.sweep import SweepScreen

        await self.push_screen(SweepScreen(self.runs_dir))

    def on_runs_chosen(self, message: RunsChosen) -> None:
        """A choice made in a runs screen opened from another screen (a sweep's runs)."""
        self.act_on_runs_choice(message.choice)

    def act_on_runs_choice(self, choice: RunsChoice | None) -> None:
        """What the runs screen returned: a run to open in the form or to resume, or None (back)."""
        if choice is None:
            return
        if choice.action == "resume":
            self.resume_run(choice.run_dir)
        elif choice.action == "attach":
            self.attach_run(choice.run_dir)
        elif choice.config is not None:
            self.open_config(choice.config)

    def open_config(self, cfg: RunConfig) -> None:
        """Load a recorded run's config into the form (from the runs screen)."""
        self.main.load_config(cfg, pick=True)
        self.main.log_line(f"loaded the config of a recorded run ({cfg.name}); press s to run it again")

    async def action_quit(self) -> None:
        if not self.running:
            self.exit()
            return

        def answer(choice: str | None) -> None:
            if choice is not None and not self.running:
                self.exit()  # the run ended while the question was up: there is nothing left to stop or leave
            elif choice == "stop" and self.session.control is not None:
                self.session.quit_when_done = True
                self.action_stop()
            elif choice == "detach":
                self.session.quit_when_done = True
                self.left_running = self.session.run_dir
                self.session.release()

        await self.push_screen(ConfirmQuit(detachable=self.session.remote), answer)


def create_app(options: AppOptions | None = None, *, engine: Engine | None = None, estimator: Any = None) -> RdfiaApp:
    """The app factory of the command line and the tests: ``options`` (the defaults when None), and an
    ``engine`` that stands in for torch in tests."""
    return RdfiaApp(options, engine, estimator)
