"""The main screen: presets, the form, the layer table, live charts, status and the event log."""

from __future__ import annotations

import math

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from rdfia_tui.engine.events import BatchProgress, BoundaryUpdated, EpochEnded, PlanePoints, RunStarted
from rdfia_tui.tui.widgets.boundary import BoundaryPanel
from rdfia_tui.tui.widgets.charts import SeriesChart
from rdfia_tui.tui.widgets.config_form import ConfigForm
from rdfia_tui.tui.widgets.event_log import EventLog
from rdfia_tui.tui.widgets.layers_view import LayerTableView
from rdfia_tui.tui.widgets.preset_picker import PresetPicker
from rdfia_tui.tui.widgets.status import StatusLine

SMOOTHING = 0.9  # per-step weight of the past in the batch loss's moving average
MAX_BATCH_POINTS = 4000  # the raw per-batch series is thinned beyond this


class MainScreen(Screen):
    AUTO_FOCUS = "#preset-list"

    def __init__(self, preset: str | None) -> None:
        super().__init__(id="main")
        self.preset = preset
        self.steps_per_epoch = 1
        self.epochs = 0
        self.device = ""
        self._smoothed: float | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            with Vertical(id="sidebar"):
                yield Static("Presets", classes="panel-title")
                yield PresetPicker(self.preset, id="presets")
                yield Static("Hyper-parameters", classes="panel-title", id="form-title")
                yield ConfigForm(id="form")
            with VerticalScroll(id="main-area"):
                yield Static("Layers", classes="panel-title")
                with Horizontal(id="top-row"):
                    yield LayerTableView(id="layers")
                    yield BoundaryPanel(id="boundary")
                with Horizontal(id="charts"):
                    yield SeriesChart("loss", id="loss-chart")
                    yield SeriesChart("accuracy (%)", id="acc-chart")
                yield StatusLine(id="status")
                yield EventLog(id="events")
        yield Footer()

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

    def run_started(self, event: RunStarted) -> None:
        self.steps_per_epoch, self.epochs, self.device = event.steps_per_epoch, event.epochs, event.device
        self._smoothed = None
        self.boundary.display = False
        self.query_one("#top-row").remove_class("-plane")
        with self.app.batch_update():
            self.loss_chart.clear()
            self.acc_chart.clear()
            self.acc_chart.ylim = (0, 100)
            self.status_line.set_state(f"epoch 0/{event.epochs}")
        self.log_view.add(f"started {event.preset} on {event.device} ({event.params:,} parameters): {event.run_dir}")

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
            self.status_line.set_state(f"epoch {m.epoch}/{event.epochs}")

    @property
    def boundary(self) -> BoundaryPanel:
        return self.query_one(BoundaryPanel)

    def show_plane(self, points: PlanePoints) -> None:
        self.boundary.display = True
        self.query_one("#top-row").add_class("-plane")
        self.boundary.set_points(points)

    def show_boundary(self, grid: BoundaryUpdated) -> None:
        self.boundary.set_grid(grid)

    def progress(self, event: BatchProgress, losses: list[float], memory: str = "") -> None:
        """Per-batch losses (raw, and an exponential moving average per step), and the status line."""
        steps = max(event.steps, 1)
        first = event.step - len(losses) + 1
        for i, loss in enumerate(losses):
            if not math.isfinite(loss):
                continue
            x = event.epoch - 1 + (first + i) / steps
            self._smoothed = loss if self._smoothed is None else SMOOTHING * self._smoothed + (1 - SMOOTHING) * loss
            self.loss_chart.append("batch", x, loss)
            self.loss_chart.append("batch (smoothed)", x, self._smoothed)
        for name in ("batch", "batch (smoothed)"):
            self.loss_chart.thin(name, MAX_BATCH_POINTS)
        self.status_line.show_progress(
            event.epoch, self.epochs, event.step, event.steps, event.images_per_s, event.eta_s, self.device, memory
        )
