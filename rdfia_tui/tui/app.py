"""The Textual app: owns the run (its worker and controls) and routes engine events to the screens."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from rdfia_tui.engine.config import RunConfig, apply_overrides
from rdfia_tui.engine.control import RunControl
from rdfia_tui.engine.errors import ConfigError, RdfiaError
from rdfia_tui.engine.events import (
    BatchProgress,
    BoundaryUpdated,
    EpochEnded,
    EvaluationProgress,
    Event,
    Notice,
    PlanePoints,
    RunFinished,
    RunStarted,
    SamplePredictions,
)
from rdfia_tui.engine.presets import load_preset
from rdfia_tui.engine.runs.record import resolve_runs_dir
from rdfia_tui.engine.runs.resume import resume_config
from rdfia_tui.tui.commands import binding_commands, system_commands
from rdfia_tui.tui.messages import EngineEvent, LayersReady, ProgressEvent, RunRefused, TrainingDone
from rdfia_tui.tui.runner import Engine, TorchEngine
from rdfia_tui.tui.screens.dialogs import ConfirmQuit, LearningRateDialog
from rdfia_tui.tui.screens.main import MainScreen
from rdfia_tui.tui.widgets.config_form import ConfigForm
from rdfia_tui.tui.widgets.preset_picker import PresetPicker

DEFAULT_PRESET = "circles-mlp"
TERMINATING = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
FINISH_WORDS = {"completed": "finished", "stopped": "stopped", "diverged": "diverged", "failed": "failed"}


class RdfiaApp(App):
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

    def __init__(
        self,
        preset: str | None = None,
        overrides: list[str] | None = None,
        *,
        runs_dir: str | Path | None = None,
        data_root: str | None = None,
        start: bool = False,
        engine: Engine | None = None,
    ) -> None:
        super().__init__()
        self.preset_name = preset or DEFAULT_PRESET
        self.overrides = list(overrides or [])
        self.runs_dir = resolve_runs_dir(runs_dir)
        self.data_root = data_root
        self.start_now = start
        self.engine: Engine = engine or TorchEngine()
        self.control: RunControl | None = None
        self.running = False
        self.run_dir: Path | None = None
        self.last_status: str | None = None
        self.current_lr: float | None = None
        self.quit_when_done = False
        self.exit_code = 0
        self._progress_losses: list[float] = []
        self._typeahead: LearningRateDialog | None = None
        self._layers_for: tuple[Any, Any] | None = None
        self._handlers: dict[type, Callable[[Any], None]] = {
            RunStarted: self._on_started,
            EpochEnded: self._on_epoch,
            BatchProgress: self._on_progress,
            EvaluationProgress: self._on_evaluation,
            Notice: lambda e: self.main.log_view.add(f"note: {e.message}"),
            PlanePoints: lambda e: self.main.show_plane(e),
            BoundaryUpdated: lambda e: self.main.show_boundary(e),
            SamplePredictions: lambda e: self.main.show_samples(e),
            RunFinished: self._on_finished,
        }

    # ---- set-up -------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.main = MainScreen(self.preset_name)
        self.push_screen(self.main)
        self.call_after_refresh(self._initial_config)
        self._handle_termination_signals()

    def _handle_termination_signals(self) -> None:
        """SIGTERM and SIGHUP (``kill``, a dropped SSH session) stop the run as a headless run does:
        it is recorded as stopped, the terminal is restored, and the console exits with status 143."""
        loop = asyncio.get_running_loop()
        for signum in TERMINATING:
            try:
                loop.add_signal_handler(signum, self._terminate, signum)
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread (tests), or no such signal here
                return

    def _terminate(self, signum: int) -> None:
        self.log_view_add(f"{signal.Signals(signum).name} received: stopping the run and quitting")
        if self.running and self.control is not None:
            self.quit_when_done, self.exit_code = True, 143
            self.action_stop()
        else:
            self._exit_now(143)

    def _exit_now(self, code: int) -> None:
        """Exit with ``code``, restoring the terminal, or at once when the terminal is gone (Textual's
        restoring writes would wait forever on a hung-up terminal; the records are written already)."""
        if not terminal_alive():
            os._exit(code)
        self.exit(return_code=code)

    def log_view_add(self, text: str) -> None:
        if hasattr(self, "main") and self.main.is_mounted:
            self.main.log_view.add(text)

    def _initial_config(self) -> None:
        try:
            cfg = apply_overrides(load_preset(self.preset_name), self.overrides)
        except ConfigError as exc:
            self.main.log_view.add(f"error: {exc}")
            self.notify(str(exc), severity="error", timeout=10)
            cfg = load_preset(DEFAULT_PRESET)
        self.main.form.load(cfg)

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
            return not self.running  # one run at a time
        if action in ("pause", "resume"):
            return self.running and self.showing_paused() is (action == "resume")
        # the run controls are hidden while nothing runs: they would do nothing
        return not (action in self.RUN_ACTIONS and not self.running)

    def showing_paused(self) -> bool:
        return self.control is not None and self.control.pause.is_set()

    def on_key(self, event: events.Key) -> None:
        """A printable key that reached the app around the time the lr dialog opens belongs to its field
        (keys typed right after "l" arrive before the field has focus)."""
        dialog = self.screen if isinstance(self.screen, LearningRateDialog) else self._typeahead
        if dialog is not None and event.is_printable and event.character:
            dialog.take(event.character)
            event.stop()

    def on_unmount(self) -> None:
        # A thread worker cannot be cancelled: tell the engine to stop so the app can exit.
        if self.control is not None:
            self.control.stop.set()
            self.control.pause.clear()

    def get_system_commands(self, screen: Screen) -> Any:
        yield from system_commands(super().get_system_commands(screen))
        yield from binding_commands(self, screen)

    # ---- form and layer table -----------------------------------------------------------
    def on_preset_picker_chosen(self, message: PresetPicker.Chosen) -> None:
        try:
            cfg = load_preset(message.name)
        except ConfigError as exc:
            self.main.log_view.add(f"error: {exc}")
            return
        self.preset_name = message.name
        self.main.form.load(cfg)
        self.main.log_view.add(f"preset {message.name}: {cfg.description}")

    def on_config_form_changed(self, message: ConfigForm.Changed) -> None:
        cfg = message.config
        count = len(message.errors)
        self.main.query_one("#form-title").update(
            "Hyper-parameters" if cfg else f"Hyper-parameters · {count} error{'s' if count > 1 else ''}: fix to start"
        )
        if cfg is None:
            return
        self._start_when_ready()
        key = (cfg.data, cfg.model)
        if key != self._layers_for:
            self._layers_for = key
            self._compute_layers(cfg)

    @work(thread=True, exclusive=True, exit_on_error=False, group="layers")
    def _compute_layers(self, cfg: RunConfig) -> None:
        try:
            self.post_message(LayersReady(self.engine.layer_table(cfg, self.data_root)))
        except RdfiaError as exc:
            self.post_message(LayersReady(None, str(exc)))

    def on_layers_ready(self, message: LayersReady) -> None:
        self.main.layer_view.show(message.table, message.error)

    # ---- training -----------------------------------------------------------------------
    def action_start(self) -> None:
        if self.running:
            self.notify("a run is already in progress", severity="warning")
            return
        cfg = self.main.form.config
        if cfg is None:
            first = next(iter(self.main.form.errors.values()), "invalid value")
            self.notify(f"fix the form first: {first}", severity="error")
            self.main.log_view.add(f"cannot start: {first}")
            self.main.status_line.set_state("refused: fix the form")
            self.main.form.show_first_error()
            return
        self._begin(cfg)

    def resume_run(self, run_dir: Path) -> None:
        """Continue a stopped run in its own folder (from the runs screen); its config fills the form."""
        if self.running:
            self.notify("a run is already in progress", severity="warning")
            return
        try:
            cfg = resume_config(run_dir)
        except RdfiaError as exc:
            self.notify(str(exc), severity="error")
            return
        self.main.form.load(cfg)
        self.main.query_one(PresetPicker).show_selected(cfg.name)
        self.main.log_view.add(f"resuming {Path(run_dir).name} from its last checkpoint")
        self._begin(cfg, Path(run_dir))

    def _begin(self, cfg: RunConfig, resume: Path | None = None) -> None:
        self.control = RunControl()
        self.running, self.run_dir, self.last_status = True, None, None
        self.main.set_running(True)
        self.refresh_bindings()
        self.current_lr = cfg.optim.lr
        self.main.status_line.set_state("resuming…" if resume else "starting…")
        self._train(cfg, self.control, resume)

    @work(thread=True, exclusive=True, exit_on_error=False, group="train")
    def _train(self, cfg: RunConfig, control: RunControl, resume: Path | None = None) -> None:
        """Runs in a thread: calls the engine and posts what it says; touches no widget."""
        try:
            self.engine.run(cfg, self._post_event, control, self.runs_dir, self.data_root, resume)
        except RdfiaError as exc:
            self.post_message(RunRefused(str(exc), getattr(exc, "key", None)))
        except Exception as exc:
            self.post_message(RunRefused(f"the run crashed: {type(exc).__name__}: {exc}"))
        finally:
            self.post_message(TrainingDone())

    def _post_event(self, event: Event) -> None:
        self.post_message(ProgressEvent(event) if isinstance(event, BatchProgress) else EngineEvent(event))

    def on_engine_event(self, message: EngineEvent) -> None:
        handler = self._handlers.get(type(message.event))
        if handler is not None:
            handler(message.event)

    def on_progress_event(self, message: ProgressEvent) -> None:
        self._progress_losses = message.losses
        self.on_engine_event(message)

    def _on_started(self, event: RunStarted) -> None:
        self.run_dir = event.run_dir
        self.main.run_started(event)

    def _on_epoch(self, event: EpochEnded) -> None:
        self.current_lr = event.metrics.lr
        self.main.epoch_ended(event)

    def _on_progress(self, event: BatchProgress) -> None:
        self.main.progress(event, self._progress_losses, gpu_memory(), self.current_lr)
        if self.control is not None and self.control.pause.is_set():
            self.main.status_line.pause()

    def _on_evaluation(self, event: EvaluationProgress) -> None:
        rate = event.done / event.elapsed_s if event.elapsed_s > 0 else 0.0
        self.main.status_line.show_evaluation(event.epoch, self.main.epochs, event.split, event.done, event.total, rate, self.main.device)

    def _on_finished(self, event: RunFinished) -> None:
        self.last_status = event.status
        word = FINISH_WORDS.get(event.status, event.status)
        detail = f": {event.message}" if event.message else ""
        self.main.log_view.add(f"{word}{detail} — {event.run_dir}")
        self.main.status_line.set_state(f"{word} ({event.summary.get('epochs_completed', 0)}/{self.main.epochs} epochs)")

    def on_run_refused(self, message: RunRefused) -> None:
        self.main.log_view.add(f"error: {message.message}")
        self.main.status_line.set_state("refused: see the log")
        self.notify("the run was refused: the log says why", severity="error", timeout=5)  # short: a toast covers the log

    def on_training_done(self, message: TrainingDone) -> None:
        self.running = False
        self.main.set_running(False)
        self.refresh_bindings()
        if self.control is not None:
            self.control.pause.clear()
        if self.quit_when_done:
            self._exit_now(self.exit_code)

    def action_resume(self) -> None:
        self.action_pause()

    def action_pause(self) -> None:
        """Pause, or resume a paused run (p does the one the footer shows)."""
        if not self.running or self.control is None:
            return
        if self.control.pause.is_set():
            self.control.pause.clear()
            self.main.log_view.add("resumed")
        else:
            self.control.pause.set()
            self.main.status_line.pause()
            self.main.log_view.add("paused (p resumes)")
        self.refresh_bindings()

    def action_stop(self) -> None:
        if self.running and self.control is not None:
            self.control.stop.set()
            self.control.pause.clear()
            self.main.log_view.add("stopping after the current step…")

    async def action_change_lr(self) -> None:
        if not self.running or self.control is None:
            self.notify("no run in progress: edit optim.lr in the form instead")
            return

        def apply(value: float | None) -> None:
            if value is not None and self.control is not None:
                self.control.request_lr(value)  # the engine's notice says when it applied
                self.current_lr = value

        dialog = LearningRateDialog(self.current_lr or 0.1)
        self._typeahead = dialog  # keys typed right after "l", before the dialog is up, are handed to it
        await self.push_screen(dialog, apply)

    def action_screenshot(self) -> None:
        folder = self.run_dir or self.runs_dir
        folder.mkdir(parents=True, exist_ok=True)
        path = self.save_screenshot(f"screenshot-{time.strftime('%Y%m%d-%H%M%S')}.svg", str(folder))
        self.main.log_view.add(f"screenshot saved: {path}")

    def action_leave_field(self) -> None:
        self.screen.set_focus(None)

    async def action_runs(self) -> None:
        from rdfia_tui.tui.screens.runs import RunsScreen

        await self.push_screen(RunsScreen(self.runs_dir))

    async def action_sweeps(self) -> None:
        from rdfia_tui.tui.screens.sweep import SweepScreen

        await self.push_screen(SweepScreen(self.runs_dir))

    def open_config(self, cfg: RunConfig) -> None:
        """Load a recorded run's config into the form (from the runs screen)."""
        self.main.form.load(cfg)
        self.main.query_one(PresetPicker).show_selected(cfg.name)
        self.main.log_view.add(f"loaded the config of a recorded run ({cfg.name}); press s to run it again")

    async def action_quit(self) -> None:
        if not self.running:
            self.exit()
            return

        def answer(stop: bool | None) -> None:
            if stop and self.control is not None:
                self.quit_when_done = True
                self.action_stop()

        await self.push_screen(ConfirmQuit(), answer)


def terminal_alive() -> bool:
    """False when writing to the terminal fails (a hung-up SSH session or a closed terminal window)."""
    try:
        os.write(sys.__stdout__.fileno(), b"\x1b[0m")  # a harmless "reset colours"
    except (OSError, ValueError, AttributeError):
        return False
    return True


def gpu_memory() -> str:
    """GPU memory in use, when torch is loaded and a GPU exists; never imports torch itself."""
    torch = sys.modules.get("torch")
    if torch is None or not torch.cuda.is_available():
        return ""
    return f"GPU {torch.cuda.memory_allocated() / 2**20:,.0f} MiB"


def create_app(**kwargs: Any) -> RdfiaApp:
    """The app factory used by the command line and the tests."""
    return RdfiaApp(**kwargs)
