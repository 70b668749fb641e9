"""The main screen: presets, the form, the layer table, live charts, status and the event log."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static, TabbedContent, TabPane

from rdfia_tui.engine.config import RunConfig
from rdfia_tui.engine.errors import ConfigError
from rdfia_tui.engine.events import (
    BatchProgress,
    BoundaryUpdated,
    CommandTaken,
    EpochEnded,
    EvaluationProgress,
    Event,
    Notice,
    PlanePoints,
    RunFinished,
    RunStarted,
    SamplePredictions,
)
from rdfia_tui.engine.layers import LayerTable
from rdfia_tui.engine.presets import load_preset
from rdfia_tui.engine.runs.status import RunStatus
from rdfia_tui.tui.chart_controller import CHART_BINDINGS, SERIES_BINDINGS
from rdfia_tui.tui.chart_controls import ChartControls
from rdfia_tui.tui.messages import ConfigChanged
from rdfia_tui.tui.session import RunSession
from rdfia_tui.tui.system import gpu_memory
from rdfia_tui.tui.widgets.boundary import BoundaryPanel
from rdfia_tui.tui.widgets.charts import SeriesChart
from rdfia_tui.tui.widgets.config_form import ConfigForm
from rdfia_tui.tui.widgets.confusion import ConfusionPanel
from rdfia_tui.tui.widgets.event_log import EventLog
from rdfia_tui.tui.widgets.gpu_panel import GpuPanel
from rdfia_tui.tui.widgets.layers_view import LayerTableView
from rdfia_tui.tui.widgets.lesson_panel import LessonPanel
from rdfia_tui.tui.widgets.memory_fit import MemoryFit
from rdfia_tui.tui.widgets.preset_picker import PresetPicker
from rdfia_tui.tui.widgets.run_curves import RunCurves
from rdfia_tui.tui.widgets.samples import SamplePanel
from rdfia_tui.tui.widgets.schedule_preview import SchedulePreview
from rdfia_tui.tui.widgets.status import StatusLine

CLASS_TABS = ("tab-confusion", "tab-samples")  # shown only once a run on image classes sends them


class MainScreen(ChartControls, Screen):
    AUTO_FOCUS = "#preset-list"
    BINDINGS = [
        Binding("v", "next_panel", "Panels", id="next-panel", tooltip="Show the next panel: layers, lesson, confusion, samples, GPU"),
        # off the footer (the tab bar names the Lesson tab; an 80-column footer has no room left)
        Binding("n", "lesson", "Lesson", id="lesson", show=False, tooltip="The preset's lesson: its question, errors, formulas"),
        Binding(
            "f",
            "toggle_form",
            "Form",
            id="toggle-form",
            tooltip="Show or hide the presets and the form (a narrow screen hides them during a run)",
        ),
        *CHART_BINDINGS,
        *SERIES_BINDINGS,
        Binding("L", "lr_find", "Find lr", id="lr-find", show=False, tooltip="LR range test of the form's config: loss vs a growing lr"),
        Binding("i", "describe_run", "In words", id="describe-run", show=False, tooltip="The current (or newest) run's curves in words"),
    ]
    # Below these sizes the layout changes (classes on the screen, rules in app.tcss)
    SHORT_ROWS = 36  # during a run the charts take the panels' rows
    NARROW_COLUMNS = 100  # during a run the charts take the form's columns
    STACKED_COLUMNS = 72  # the form goes above the charts instead of beside them

    def __init__(self, preset: str | None, session: RunSession | None = None) -> None:
        super().__init__(id="main")
        self.preset = preset
        self.session = session or RunSession()  # the app's: read here, never changed
        self.steps_per_epoch = 1
        self.epochs = 0
        self.device = ""
        self.class_names: tuple[str, ...] = ()
        self._plane = False  # this run's data is 2-D: the boundary, not class panels
        self._revealed: set[str] = set()
        self._shows: dict[type, Callable[[Any], None]] = {
            RunStarted: self.run_started,
            EpochEnded: self.epoch_ended,
            BatchProgress: self.show_progress,
            EvaluationProgress: self.show_evaluation,
            Notice: self.show_notice,
            PlanePoints: self.show_plane,
            BoundaryUpdated: self.show_boundary,
            SamplePredictions: self.show_samples,
            CommandTaken: self.show_command,
            RunFinished: self.run_finished,
        }

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            with Vertical(id="sidebar"):
                yield Static("Presets", classes="panel-title")
                yield PresetPicker(self.preset, id="presets")
                yield Static("Hyper-parameters", classes="panel-title", id="form-title")
                yield ConfigForm(id="form")
                yield MemoryFit(id="memory-fit")
            with Vertical(id="main-area"):
                with TabbedContent(id="panels", initial="tab-layers"):
                    with TabPane("Layers", id="tab-layers"), Horizontal(id="top-row"):
                        yield LayerTableView(id="layers")
                        yield SchedulePreview(id="schedule-preview")
                        yield BoundaryPanel(id="boundary")
                    with TabPane("Lesson", id="tab-lesson"):
                        yield LessonPanel(id="lesson-panel")
                    with TabPane("Confusion", id="tab-confusion"):
                        yield ConfusionPanel(id="confusion")
                    with TabPane("Samples", id="tab-samples"):
                        yield SamplePanel(id="samples")
                    with TabPane("GPU", id="tab-gpu"):
                        yield GpuPanel(id="gpu")
                with Horizontal(id="charts"):
                    yield SeriesChart("loss", id="loss-chart")
                    yield SeriesChart("accuracy (%)", id="acc-chart")
                yield StatusLine(id="status")
                yield EventLog(id="events")
        yield Footer(compact=True)

    @property
    def loss_chart(self) -> SeriesChart:
        return self.query_one("#loss-chart", SeriesChart)

    @property
    def acc_chart(self) -> SeriesChart:
        return self.query_one("#acc-chart", SeriesChart)

    def chart_widgets(self) -> list[SeriesChart]:
        """The charts the chart keys act on (chart_controls.py)."""
        return [self.loss_chart, self.acc_chart]

    @property
    def status_line(self) -> StatusLine:
        return self.query_one(StatusLine)

    @property
    def log_view(self) -> EventLog:
        return self.query_one(EventLog)

    @property
    def form(self) -> ConfigForm:
        return self.query_one(ConfigForm)

    @property
    def layer_view(self) -> LayerTableView:
        return self.query_one(LayerTableView)

    @property
    def panels(self) -> TabbedContent:
        return self.query_one("#panels", TabbedContent)

    @property
    def lesson_panel(self) -> LessonPanel:
        return self.query_one(LessonPanel)

    @property
    def confusion(self) -> ConfusionPanel:
        return self.query_one(ConfusionPanel)

    @property
    def samples(self) -> SamplePanel:
        return self.query_one(SamplePanel)

    @property
    def schedule_preview(self) -> SchedulePreview:
        return self.query_one(SchedulePreview)

    def on_mount(self) -> None:
        self.curves = RunCurves(self.loss_chart, self.acc_chart)
        self._hide_class_tabs()
        if not self.query_one(GpuPanel).offer():  # the GPU tab only where a GPU is visible
            self.panels.hide_tab("tab-gpu")

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.height < self.SHORT_ROWS, "-short")
        self.set_class(event.size.width < self.NARROW_COLUMNS, "-narrow")
        self.set_class(event.size.width < self.STACKED_COLUMNS, "-stacked")
        self.query_one(Footer).show_command_palette = event.size.width >= self.STACKED_COLUMNS
        self.call_after_refresh(self._release_hidden_focus)  # once the new rules have hidden what they hide
        self.refresh_bindings()

    def set_running(self, running: bool) -> None:
        """During a run, a small screen gives the charts and the status line the room (app.tcss)."""
        self.set_class(running, "-running")
        self.remove_class("-show-form", "-show-panels")
        self._release_hidden_focus()
        self.call_after_refresh(self._release_hidden_focus)  # once the rules apply, and after a screen above gives focus back
        self.refresh_bindings()

    def _release_hidden_focus(self) -> None:
        """A hidden widget keeps no focus (the footer would then show no keys)."""
        focused = self.focused
        if focused is not None and not self.query_one("#sidebar").display and self.query_one("#sidebar") in focused.ancestors:
            self.set_focus(None)
            self.refresh_bindings()

    def action_lr_find(self) -> None:
        from rdfia_tui.tui.screens.lr_find import open_lr_find

        open_lr_find(self)

    def action_describe_run(self) -> None:
        from rdfia_tui.tui.screens.described import describe_newest

        describe_newest(self)

    def action_lesson(self) -> None:
        """The Lesson tab, in view (on a short screen during a run, in place of the charts), and focused to scroll."""
        if self.has_class("-running") and self.has_class("-short"):
            self.add_class("-show-panels")
        self.panels.active = "tab-lesson"
        self.lesson_panel.focus()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        """The Lesson tab takes more rows while it is shown (app.tcss)."""
        self.set_class(self.panels.active == "tab-lesson", "-lesson")

    def action_toggle_form(self) -> None:
        self.toggle_class("-show-form")
        self._release_hidden_focus()
        self.refresh_bindings()

    def _hide_class_tabs(self) -> None:
        self._revealed.clear()
        for pane in CLASS_TABS:
            self.panels.hide_tab(pane)
        if self.panels.active in CLASS_TABS:  # a tab the reader chose (the lesson) stays
            self.panels.active = "tab-layers"
        self.refresh_bindings()

    def _reveal(self, pane: str) -> None:
        """Show a class tab the first time a run fills it; the first one shown takes over from the layer table."""
        if pane in self._revealed:
            return
        self._revealed.add(pane)
        self.panels.show_tab(pane)
        if len(self._revealed) == 1 and self.panels.active == "tab-layers":
            self.panels.active = pane
        self.refresh_bindings()

    def class_tabs_shown(self) -> set[str]:
        """The class tabs whose headers are visible now."""
        return {pane for pane in CLASS_TABS if not self.panels.get_tab(pane).has_class("-hidden")}

    def gpu_offered(self) -> bool:
        """Whether the GPU tab is offered (a GPU is visible)."""
        return any(panel.offered for panel in self.query(GpuPanel))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The form key only where the form can be hidden."""
        if action == "toggle_form":
            return self.has_class("-running") and self.has_class("-narrow")
        return super().check_action(action, parameters)  # the chart keys: ChartControls

    def action_next_panel(self) -> None:
        """Next panel; on a short screen during a run, first show the panels in place of the charts."""
        if self.has_class("-running") and self.has_class("-short") and not self.has_class("-show-panels"):
            self.add_class("-show-panels")
            return
        visible = ["tab-layers", "tab-lesson", *(pane for pane in CLASS_TABS if pane in self.class_tabs_shown())]
        visible += ["tab-gpu"] if self.gpu_offered() else []
        if self.has_class("-show-panels") and self.panels.active == visible[-1]:
            self.remove_class("-show-panels")  # after the last panel: back to the charts,
            self.panels.active = visible[0]  # and the next v starts from the first
            return
        current = self.panels.active
        self.panels.active = visible[(visible.index(current) + 1) % len(visible)] if current in visible else visible[0]

    # ---- the presets and the form ---------------------------------------------------------
    def on_preset_picker_chosen(self, message: PresetPicker.Chosen) -> None:
        try:
            cfg = load_preset(message.name)
        except ConfigError as exc:
            self.log_line(f"error: {exc}")
            return
        self.load_config(cfg)
        self.log_line(f"preset {message.name}: {cfg.description}")

    def load_config(self, cfg: RunConfig, *, pick: bool = False) -> None:
        """Fill the form with ``cfg``; ``pick`` also selects its preset in the list (a recorded run's config)."""
        self.form.load(cfg)
        picker = self.query_one(PresetPicker)
        if pick:  # a preset file's own words (its description) when it is no shipped preset
            picker.show_selected(cfg.name, cfg.description)
        else:
            picker.describe(cfg.name, fallback=cfg.description)

    def startable_config(self) -> RunConfig | None:
        """The form's config, or None after saying why it cannot start (a toast, the log, the status line, the field)."""
        cfg = self.form.config
        if cfg is None:
            first = next(iter(self.form.errors.values()), "invalid value")
            self.notify(f"fix the form first: {first}", severity="error")
            self.log_line(f"cannot start: {first}")
            self.status_line.set_state("refused: fix the form")
            self.form.show_first_error()
        return cfg

    def on_config_form_changed(self, message: ConfigForm.Changed) -> None:
        """The form's title counts its errors; the schedule preview is redrawn and the app told (ConfigChanged);
        while idle, a new plan brings it into view."""
        message.stop()
        count = len(message.errors)
        self.query_one("#form-title", Static).update(
            "Hyper-parameters" if message.config else f"Hyper-parameters · {count} error{'s' if count > 1 else ''}: fix to start"
        )
        if message.config is None:
            self.query_one(MemoryFit).form_invalid()
            self.lesson_panel.form_invalid(next(iter(message.errors.values()), "invalid value"))
            self.schedule_preview.form_invalid()
            return
        self.app.post_message(ConfigChanged(message.config))
        self.lesson_panel.follow_config(message.config, self.form.base)
        self.query_one(MemoryFit).follow(message.config)
        if self.schedule_preview.show(message.config) and not self.session.running:
            self.boundary.display = False
            self.query_one("#top-row").remove_class("-plane")
            if self.panels.active != "tab-lesson":
                self.panels.active = "tab-layers"

    def show_layers(self, table: LayerTable | None, error: str | None = None) -> None:
        self.layer_view.show(table, error)

    def log_line(self, text: str) -> None:
        """A line in the event log."""
        self.log_view.add(text)

    # ---- the run ----------------------------------------------------------------------------
    def run_began(self, resuming: bool) -> None:
        self.set_running(True)
        self.status_line.set_state("resuming…" if resuming else "starting…")

    def run_refused(self, message: str) -> None:
        self.log_line(f"error: {message}")
        self.status_line.set_state("refused: see the log")

    def show_pause(self, paused: bool, by: str = "") -> None:
        """The run was paused (p) or resumed; ``by`` names another client that did it."""
        if paused:
            self.status_line.pause()
            self.log_line(f"paused (p resumes){by}")
        else:
            self.log_line(f"resumed{by}")

    def show_command(self, event: CommandTaken) -> None:
        """The run took a command, from this console or another client (named by its pid)."""
        by = "" if event.sender == f"pid {os.getpid()}" else f" (from another client, {event.sender})"
        if event.action in ("pause", "resume"):
            self.show_pause(event.paused, by)
        elif event.action == "stop":
            self.log_line(f"stopping after the current step…{by}")
        else:
            self.log_line(f"learning rate {event.lr:g} from the next step{by}")

    def detached(self) -> None:
        """The console let go of a run that goes on in its own process."""
        self.status_line.set_state("detached: the run goes on ('r' lists it, enter attaches)")
        self.log_line("detached; the run trains on in its own process")

    def show_event(self, event: Event) -> None:
        """One engine event, on the widgets that show it."""
        show = self._shows.get(type(event))
        if show is not None:
            show(event)

    def run_started(self, event: RunStarted) -> None:
        self.steps_per_epoch, self.epochs, self.device = event.steps_per_epoch, event.epochs, event.device
        self.class_names = event.class_names
        self._plane = False
        self.boundary.display = False
        self.query_one("#top-row").remove_class("-plane")
        self._hide_class_tabs()
        self.confusion.clear()
        self.samples.clear()
        self.lesson_panel.run_started(event.config, event.n_train, event.steps_per_epoch)
        with self.app.batch_update():
            self.curves.reset()
            self.schedule_preview.clear_used()
            self.status_line.set_state(f"epoch 0/{event.epochs}")
        speed = f", {event.speed}" if event.speed else ""
        self.log_line(f"started {event.preset} on {event.device} ({event.params:,} parameters{speed}): {event.run_dir}")

    def epoch_ended(self, event: EpochEnded) -> None:
        m = event.metrics
        with self.app.batch_update():
            self.curves.add_epoch(m)
            self.status_line.epoch_done(m.epoch, event.epochs)
            if event.patience is not None:
                self.status_line.set_patience(event.patience)
            if self.session.paused:  # asked during the evaluation: the run pauses before its next step
                self.status_line.pause()
            self.schedule_preview.used(m.epoch, m.lr)
            self.lesson_panel.add_epoch(m)
            self.show_confusion(event)

    def show_confusion(self, event: EpochEnded) -> None:
        """The epoch's test confusion matrix, for runs on classes that are not points in a plane."""
        if not event.confusion or self._plane:
            return
        self.confusion.set_matrix(event.metrics.epoch, event.confusion, self.class_names)
        self._reveal("tab-confusion")

    def show_samples(self, event: SamplePredictions) -> None:
        if self._plane:
            return
        self.samples.set_samples(event)
        self._reveal("tab-samples")

    @property
    def boundary(self) -> BoundaryPanel:
        return self.query_one(BoundaryPanel)

    def show_plane(self, points: PlanePoints) -> None:
        self._plane = True
        self._hide_class_tabs()
        self.boundary.display = True
        self.query_one("#top-row").add_class("-plane")
        self.boundary.set_points(points)

    def show_boundary(self, grid: BoundaryUpdated) -> None:
        self.boundary.set_grid(grid)

    def show_notice(self, event: Notice) -> None:
        self.log_line(f"note: {event.message}")

    def show_evaluation(self, event: EvaluationProgress) -> None:
        rate = event.done / event.elapsed_s if event.elapsed_s > 0 else 0.0
        self.status_line.show_evaluation(event.epoch, self.epochs, event.split, event.done, event.total, rate, self.device)

    def run_finished(self, event: RunFinished) -> None:
        word = RunStatus.of(event.status).word
        detail = f": {event.message}" if event.message else ""
        self.log_line(f"{word}{detail} — {event.run_dir}")
        self.status_line.set_state(f"{word} ({event.summary.get('epochs_completed', 0)}/{self.epochs} epochs)")

    def show_progress(self, event: BatchProgress) -> None:
        """Per-batch losses (with those of the progress events it replaced) on the loss chart, and the status line."""
        self.curves.add_steps(event, event.losses)
        self.query_one(GpuPanel).follow_peak(event.gpu_peak_bytes)
        gpu = gpu_memory(event.gpu_peak_bytes)
        self.status_line.show_progress(
            event.epoch, self.epochs, event.step, event.steps, event.images_per_s, event.eta_s, self.device, gpu, self.session.lr
        )
        if self.session.paused:
            self.status_line.pause()
