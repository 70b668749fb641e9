"""How the console starts, follows, switches and lets go of runs: the app's run lifecycle, as a mixin of RdfiaApp.

A run of the console's own engine is a process of its own (tui.runner.ProcessEngine): ``s`` launches it and a
worker thread follows its events; ``attach_run`` follows one started elsewhere. Following another run lets go
of the current one, which trains on. Workers post messages; only the handlers here touch the screen.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work

from rdfia_tui.engine.config import RunConfig
from rdfia_tui.engine.control import RunControl
from rdfia_tui.engine.errors import RdfiaError
from rdfia_tui.engine.events import BatchProgress, CommandTaken, Event, RunFinished
from rdfia_tui.engine.live.follow import check_followable
from rdfia_tui.engine.presets import load_preset
from rdfia_tui.engine.runs.resume import resume_config
from rdfia_tui.tui.alerts import alert_run_end
from rdfia_tui.tui.messages import EngineEvent, ProgressEvent, RunRefused, TrainingDone, while_running
from rdfia_tui.tui.runner import Engine, detachable
from rdfia_tui.tui.screens.dialogs import Confirm

if TYPE_CHECKING:
    from rdfia_tui.tui.options import AppOptions
    from rdfia_tui.tui.screens.main import MainScreen
    from rdfia_tui.tui.session import RunSession


class RunLifecycle:
    """Start (``s``), resume (``u``), attach, switch and finish runs; mixed into RdfiaApp, whose state it uses."""

    session: RunSession
    main: MainScreen
    engine: Engine
    options: AppOptions
    runs_dir: Path
    _then: Callable[[], None] | None
    running: bool
    holds_a_run: bool
    notify: Any
    post_message: Any
    refresh_bindings: Any
    push_screen: Any
    screen: Any
    screen_stack: Any
    _exit_now: Any

    async def action_start(self) -> None:
        cfg = self.main.startable_config() if not self.running or self.session.remote else None
        if self.running and not self.session.remote:
            self.notify("a run is already in progress", severity="warning")
        elif cfg is not None and self.running:
            await self._start_beside(cfg)
        elif cfg is not None:
            self._begin(cfg)

    async def _start_beside(self, cfg: RunConfig) -> None:
        """``s`` while a run goes: asked first; the run followed now trains on and the console follows the new one."""
        name = self.session.run_dir.name if self.session.run_dir else "a run"

        def answer(yes: bool | None) -> None:
            if yes and self.running:
                self._switch(lambda: self._begin(cfg))
            elif yes:
                self._begin(cfg)  # the other run ended while the question was up

        question = (f"{name} is training. Start {cfg.name} beside it? Both will share this machine; the console "
                    f"follows the new run, and 'r' lists both.")  # fmt: skip
        await self.push_screen(Confirm(question, "Start another (y)"), answer)

    def _switch(self, then: Callable[[], None]) -> None:
        """Let go of the run followed now (it goes on in its own process), then do ``then``."""
        self._then = then
        self.main.log_line(f"leaving {self.session.run_dir.name if self.session.run_dir else 'the run'} training in its own process")
        self.session.release()  # the follower returns; on_training_done calls ``then``

    def resume_run(self, run_dir: Path) -> None:
        """Continue a stopped run in its own folder (from the runs screen); its config fills the form."""
        if self.holds_a_run:
            self.notify("a run is already in progress", severity="warning")
            return
        if self.running:
            self._switch(lambda: self.resume_run(run_dir))
            return
        try:
            cfg = resume_config(run_dir)
        except RdfiaError as exc:
            self.notify(str(exc), severity="error")
            return
        self.main.load_config(cfg, pick=True)
        self.main.log_line(f"resuming {Path(run_dir).name} from its last checkpoint")
        self._begin(cfg, Path(run_dir))

    def _begin(self, cfg: RunConfig, resume: Path | None = None) -> None:
        control = self.session.begin(cfg.optim.lr, remote=detachable(self.engine))
        self.main.run_began(resuming=resume is not None)
        self.refresh_bindings()
        self._train(cfg, control, resume)

    @work(thread=True, exclusive=True, exit_on_error=False, group="train")
    def _train(self, cfg: RunConfig, control: RunControl, resume: Path | None = None) -> None:
        """Runs in a thread: calls the engine and posts what it says; touches no widget."""
        try:
            self.engine.run(cfg, self._post_event, control, self.runs_dir, self.options.data_root, resume)
        except RdfiaError as exc:
            self.post_message(RunRefused(str(exc), getattr(exc, "key", None)))
        except Exception as exc:
            self.post_message(RunRefused(f"the run crashed: {type(exc).__name__}: {exc}"))
        finally:
            self.post_message(TrainingDone())

    def attach_run(self, run_dir: Path) -> None:
        """Follow the run in ``run_dir``: its history, then live (a finished run is shown, read-only). The run
        followed now, if any, is left running: the console detaches from it first."""
        if self.running:
            if self.session.remote and self.session.run_dir != run_dir:
                self._switch(lambda: self.attach_run(run_dir))
            elif not self.session.remote:
                self.notify("a run of this console is in progress: stop it (x) first", severity="warning")
            return
        try:
            check_followable(run_dir)
            cfg = load_preset(str(run_dir / "config.toml"))
        except RdfiaError as exc:
            self.main.log_line(f"error: cannot attach: {exc}")
            self.notify(f"cannot attach to {run_dir.name}: {exc}", severity="error")
            return
        self.main.load_config(cfg, pick=True)
        self.main.log_line(f"attaching to {run_dir}")
        control = self.session.begin(None, remote=True)
        self.main.run_began(resuming=False)
        self.refresh_bindings()
        self._follow(run_dir, control)

    @work(thread=True, exclusive=True, exit_on_error=False, group="train")
    def _follow(self, run_dir: Path, control: RunControl) -> None:
        """Runs in a thread: replays the run's events, then follows them; touches no widget."""
        from rdfia_tui.engine.live.follow import follow

        try:
            follow(run_dir, self._post_event, control)
        except RdfiaError as exc:
            self.post_message(RunRefused(str(exc)))
        finally:
            self.post_message(TrainingDone())

    def _post_event(self, event: Event) -> None:
        self.post_message(ProgressEvent(event) if isinstance(event, BatchProgress) else EngineEvent(event))

    @while_running
    def on_engine_event(self, message: EngineEvent) -> None:
        """The session keeps what it needs of the event; the main screen shows it."""
        event = message.merged
        self.session.note(event)
        self.main.show_event(event)
        if isinstance(event, CommandTaken):
            self.refresh_bindings()  # Pause or Resume in the footer, whoever sent the command
        elif isinstance(event, RunFinished):
            alert_run_end(self, event)

    def on_progress_event(self, message: ProgressEvent) -> None:
        self.on_engine_event(message)

    @while_running
    def on_run_refused(self, message: RunRefused) -> None:
        self.main.run_refused(message.message)
        self.notify("the run was refused: the log says why", severity="error", timeout=5)  # short: a toast covers the log

    @while_running
    def on_training_done(self, message: TrainingDone) -> None:
        detached = self.session.control is not None and self.session.control.detach.is_set()
        self.session.done()
        self.main.set_running(False)
        self.refresh_bindings()
        if self.session.quit_when_done:
            self._exit_now(self.session.exit_code)
        elif self._then is not None:
            then, self._then = self._then, None
            then()
        elif detached:
            self.main.detached()
