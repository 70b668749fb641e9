"""The main screen: presets, the form, the layer table, live charts, status and the event log."""

from __future__ import annotations

import math

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static, TabbedContent, TabPane

from rdfia_tui.engine.events import BatchProgress, BoundaryUpdated, EpochEnded, PlanePoints, RunStarted, SamplePredictions
from rdfia_tui.tui.widgets.boundary import BoundaryPanel
from rdfia_tui.tui.widgets.charts import SeriesChart
from rdfia_tui.tui.widgets.config_form import ConfigForm
from rdfia_tui.tui.widgets.confusion import ConfusionPanel
from rdfia_tui.tui.widgets.event_log import EventLog
from rdfia_tui.tui.widgets.layers_view import LayerTableView
from rdfia_tui.tui.widgets.preset_picker import PresetPicker
from rdfia_tui.tui.widgets.samples import SamplePanel
from rdfia_tui.tui.widgets.schedule_preview import SchedulePreview
from rdfia_tui.tui.widgets.status import StatusLine

SMOOTHING = 0.9  # per-step weight of the past in the batch loss's moving average
MAX_BATCH_POINTS = 4000  # the raw per-batch series is thinned beyond this
CLASS_TABS = ("tab-confusion", "tab-samples")  # shown only once a run on image classes sends them


class MainScreen(Screen):
    AUTO_FOCUS = "#preset-list"
    BINDINGS = [
        Binding("v", "next_panel", "Panels", id="next-panel", tooltip="Show the next panel: layers, confusion, samples"),
        Binding(
            "f",
            "toggle_form",
            "Form",
            id="toggle-form",
            tooltip="Show or hide the presets and the form (a narrow screen hides them during a run)",
        ),
    ]
    # Below these sizes the layout changes (classes on the screen, rules in app.tcss)
    SHORT_ROWS = 36  # during a run the charts take the panels' rows
    NARROW_COLUMNS = 100  # during a run the charts take the form's columns
    STACKED_COLUMNS = 72  # the form goes above the charts instead of beside them

    def __init__(self, preset: str | None) -> None:
        super().__init__(id="main")
        self.preset = preset
        self.steps_per_epoch = 1
        self.epochs = 0
        self.device = ""
        self.class_names: tuple[str, ...] = ()
        self._smoothed: float | None = None
        self._plane = False  # this run's data is 2-D: the boundary, not class panels
        self._revealed: set[str] = set()

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            with Vertical(id="sidebar"):
                yield Static("Presets", classes="panel-title")
                yield PresetPicker(self.preset, id="presets")
                yield Static("Hyper-parameters", classes="panel-title", id="form-title")
                yield ConfigForm(id="form")
            with Vertical(id="main-area"):
                with TabbedContent(id="panels", initial="tab-layers"):
                    with TabPane("Layers", id="tab-layers"), Horizontal(id="top-row"):
                        yield LayerTableView(id="layers")
                        yield SchedulePreview(id="schedule-preview")
                        yield BoundaryPanel(id="boundary")
                    with TabPane("Confusion", id="tab-confusion"):
                        yield ConfusionPanel(id="confusion")
                    with TabPane("Samples", id="tab-samples"):
                        yield SamplePanel(id="samples")
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
    def confusion(self) -> ConfusionPanel:
        return self.query_one(ConfusionPanel)

    @property
    def samples(self) -> SamplePanel:
        return self.query_one(SamplePanel)

    @property
    def schedule_preview(self) -> SchedulePreview:
        return self.query_one(SchedulePreview)

    def on_mount(self) -> None:
        self._hide_class_tabs()

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
        self.refresh_bindings()

    def _release_hidden_focus(self) -> None:
        """A hidden widget keeps no focus (the footer would then show no keys)."""
        focused = self.focused
        if focused is not None and not self.query_one("#sidebar").display and self.query_one("#sidebar") in focused.ancestors:
            self.set_focus(None)
            self.refresh_bindings()

    @property
    def form_hidden(self) -> bool:
        return self.has_class("-running") and self.has_class("-narrow") and not self.has_class("-show-form")

    @property
    def panels_hidden(self) -> bool:
        return self.has_class("-running") and self.has_class("-short") and not self.has_class("-show-panels")

    def action_toggle_form(self) -> None:
        self.toggle_class("-show-form")
        self._release_hidden_focus()
        self.refresh_bindings()

    def _hide_class_tabs(self) -> None:
        self._revealed.clear()
        for pane in CLASS_TABS:
            self.panels.hide_tab(pane)
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

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The form key only where the form can be hidden; the panel key greyed while the layer tab is alone."""
        if action == "toggle_form":
            return self.has_class("-running") and self.has_class("-narrow")
        if action == "next_panel" and not self._revealed and not (self.has_class("-running") and self.has_class("-short")):
            return None
        return True

    def action_next_panel(self) -> None:
        """Next panel; on a short screen during a run, first show the panels in place of the charts."""
        if self.has_class("-running") and self.has_class("-short") and not self.has_class("-show-panels"):
            self.add_class("-show-panels")
            return
        visible = ["tab-layers", *(pane for pane in CLASS_TABS if pane in self.class_tabs_shown())]
        if self.has_class("-show-panels") and self.panels.active == visible[-1]:
            self.remove_class("-show-panels")  # after the last panel: back to the charts,
            self.panels.active = visible[0]  # and the next v starts from the first
            return
        current = self.panels.active
        self.panels.active = visible[(visible.index(current) + 1) % len(visible)] if current in visible else visible[0]

    def on_config_form_changed(self, message: ConfigForm.Changed) -> None:
        """Redraw the schedule preview (the app hears this message next); while idle, a new plan brings it into view."""
        if message.config is None:
            return
        if self.schedule_preview.show(message.config) and not getattr(self.app, "running", False):
            self.boundary.display = False
            self.query_one("#top-row").remove_class("-plane")
            self.panels.active = "tab-layers"

    def run_started(self, event: RunStarted) -> None:
        self.steps_per_epoch, self.epochs, self.device = event.steps_per_epoch, event.epochs, event.device
        self.class_names = event.class_names
        self._smoothed = None
        self._plane = False
        self.boundary.display = False
        self.query_one("#top-row").remove_class("-plane")
        self._hide_class_tabs()
        self.confusion.clear()
        self.samples.clear()
        with self.app.batch_update():
            self.loss_chart.clear()
            self.loss_chart.faint = {"steps"}
            self.acc_chart.clear()
            self.acc_chart.ylim = (0, 100)
            self.schedule_preview.clear_used()
            self.status_line.set_state(f"epoch 0/{event.epochs}")
        speed = f", {event.speed}" if event.speed else ""
        self.log_view.add(f"started {event.preset} on {event.device} ({event.params:,} parameters{speed}): {event.run_dir}")

    def epoch_ended(self, event: EpochEnded) -> None:
        m = event.metrics
        with self.app.batch_update():
            for split in ("train", "val", "test"):
                loss, acc = getattr(m, f"{split}_loss"), getattr(m, f"{split}_acc")
                if math.isfinite(loss):
                    self.loss_chart.append(split, m.epoch, loss)
                if math.isfinite(acc):
                    self.acc_chart.append(split, m.epoch, 100 * acc)
            if math.isfinite(m.test_loss):
                self.loss_chart.caption = f"test {m.test_loss:.4f}"
            if math.isfinite(m.test_acc):
                self.acc_chart.caption = f"test {100 * m.test_acc:.1f}%"
            self.status_line.epoch_done(m.epoch, event.epochs)
            self.set_x_extent(m.epoch)
            self.schedule_preview.used(m.epoch, m.lr)
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

    def set_x_extent(self, epochs: float) -> None:
        """Both charts span the same epochs, so their ticks line up."""
        for chart in (self.loss_chart, self.acc_chart):
            if math.ceil(epochs) != math.ceil(chart.x_last or 0):
                chart._dirty = True  # a new whole epoch on the axis: both charts redraw together
            chart.x_last = epochs

    def progress(self, event: BatchProgress, losses: list[float], memory: str = "", lr: float | None = None) -> None:
        """Per-batch losses (raw, and an exponential moving average per step), and the status line."""
        steps = max(event.steps, 1)
        first = event.step - len(losses) + 1
        for i, loss in enumerate(losses):
            if not math.isfinite(loss):
                continue
            x = event.epoch - 1 + (first + i) / steps
            self._smoothed = loss if self._smoothed is None else SMOOTHING * self._smoothed + (1 - SMOOTHING) * loss
            self.loss_chart.append("steps", x, loss)
            self.loss_chart.append("steps (avg)", x, self._smoothed)
        for name in ("steps", "steps (avg)"):
            self.loss_chart.thin(name, MAX_BATCH_POINTS)
        self.set_x_extent(event.epoch - 1 + event.step / steps)
        self.status_line.show_progress(
            event.epoch, self.epochs, event.step, event.steps, event.images_per_s, event.eta_s, self.device, memory, lr
        )
