"""The console's lr range test: runs engine.lr_find on the form's config in a worker, draws loss against lr (log x)
as the steps come, then says the suggestion, the divergence and where the form's lr sits; ``a`` puts the suggested
lr into the form."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Footer, Static
from textual_plotext import PlotextPlot

from rdfia_tui.engine.config import RunConfig
from rdfia_tui.engine.control import RunControl
from rdfia_tui.engine.errors import RdfiaError
from rdfia_tui.engine.events import Event, LrProbe, Notice
from rdfia_tui.engine.lr_range import LrRange, report_lines
from rdfia_tui.tui.screens.closing import ClosesOnce

# (config, sweep, emit, control, runs_dir, data_root) -> engine.lr_find.LrFindResult
Finder = Callable[[RunConfig, LrRange, Callable[[Event], None], RunControl, Path, str | None], Any]
REDRAW_S = 0.25


class LrEvent(Message):
    """An event of the sweep, from the worker thread."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event


class LrDone(Message):
    """The sweep returned: its report lines and suggested lr, or the one-line reason it could not run."""

    def __init__(self, lines: list[str], suggested: float | None = None, marks: dict[str, float] | None = None) -> None:
        super().__init__()
        self.lines, self.suggested, self.marks = lines, suggested, marks or {}


class LrCurve(PlotextPlot):
    """The loss (faint) and the smoothed loss against the lr on a log axis, with the suggestion and divergence marked."""

    DEFAULT_CSS = "LrCurve { height: 18; }"  # fixed: the dialog scrolls to the report below it on a small terminal

    def draw(self, lrs: list[float], losses: list[float], smoothed: list[float], marks: dict[str, float]) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.xscale("log")
        plt.xlabel("lr per step (log)")
        plt.ylabel("loss")
        finite = [v for v in smoothed if math.isfinite(v)]
        bottom, top = 0.0, 1.0
        if finite:
            low, first = min(finite), finite[0]
            bottom, top = low * 0.9, max(low * 1.1, min(max(finite), 3 * first))  # the blow-up would flatten the rest
            plt.ylim(bottom, top)
        keep = [i for i, v in enumerate(losses) if math.isfinite(v)]
        plt.plot([lrs[i] for i in keep], [losses[i] for i in keep], color="gray", marker="dot")
        plt.plot([lrs[i] for i in keep], [smoothed[i] for i in keep], color="blue", marker="braille", label="smoothed")
        for (name, lr, row), colour in zip(mark_labels(marks, lrs), ("green", "red", "magenta"), strict=False):
            plt.vline(lr, colour)
            if name:
                side = "right" if right_half(lr, lrs) else "left"
                plt.text(name, lr, top - (row + 0.5) * (top - bottom) / 12, color=colour, alignment=side)
        self.refresh()


def right_half(lr: float, lrs: list[float]) -> bool:
    """Whether ``lr`` sits in the right half of the log x axis of ``lrs``: its label then ends at it, inside the plot."""
    finite = [v for v in lrs if v > 0]
    if not finite or lr <= 0:
        return False
    lo, hi = math.log10(min(finite)), math.log10(max(finite))
    return math.log10(lr) > (lo + hi) / 2


def mark_labels(marks: dict[str, float], lrs: list[float]) -> list[tuple[str, float, int]]:
    """(label, lr, row) for each mark: marks at the same lr (within 10%) share one label ("suggested = form lr", the
    others unlabelled), and each label gets its own row from the top, so no two labels are drawn over each other."""
    out: list[tuple[str, float, int]] = []
    row = 0
    for name, lr in marks.items():
        same = next((i for i, (_, other, _) in enumerate(out) if other > 0 and abs(math.log10(lr / other)) < math.log10(1.1)), None)
        if same is not None:
            label, at, r = out[same]
            out[same] = (f"{label} = {name}", at, r)
            out.append(("", lr, r))
        else:
            out.append((name, lr, row))
            row += 1
    return out


class LrFindScreen(ClosesOnce, ModalScreen[float | None]):
    """Answers the suggested lr (``a``) or None (``escape``, stopping a sweep still going)."""

    DEFAULT_CSS = """
    LrFindScreen { align: center middle; }
    LrFindScreen > VerticalScroll { width: 90%; height: 90%; border: thick $primary; background: $surface; padding: 0 1; }
    LrFindScreen #lr-find-report { height: auto; }
    """
    BINDINGS = [
        Binding("a", "apply", "Use suggested lr", id="lr-find-apply", tooltip="Put the suggested lr into the form's optim.lr"),
        Binding("x", "stop", "Stop", id="lr-find-stop", tooltip="Stop the sweep now; the steps so far are recorded"),
        Binding("escape", "close", "Close", id="lr-find-close", tooltip="Close (stops a sweep still going)"),
    ]

    def __init__(self, cfg: RunConfig, finder: Finder, runs_dir: Path, data_root: str | None, sweep: LrRange | None = None) -> None:
        super().__init__()
        self.cfg, self.finder, self.runs_dir, self.data_root = cfg, finder, runs_dir, data_root
        self.sweep = sweep or LrRange()
        self.control = RunControl()
        self.lrs: list[float] = []
        self.losses: list[float] = []
        self.smoothed: list[float] = []
        self.marks: dict[str, float] = {}
        self.suggested: float | None = None
        self.done = False
        self._drawn_at = 0.0

    def compose(self) -> ComposeResult:
        s, t = self.sweep, self.cfg.train
        with VerticalScroll(id="lr-find-body"):
            yield Static(f"LR range test: {self.cfg.name}, {self.cfg.optim.name}, batch {t.batch_size}, "
                         f"lr {s.start_lr:g} to {s.end_lr:g} over {s.steps} steps", id="lr-find-title")  # fmt: skip
            yield LrCurve(id="lr-find-curve")
            yield Static("setting up (loading the data, building the model)…", id="lr-find-report")
        yield Footer(compact=True)

    @property
    def report(self) -> Static:
        return self.query_one("#lr-find-report", Static)

    def on_mount(self) -> None:
        self.set_interval(REDRAW_S, self._redraw)
        self.sweep_in_thread()

    def on_unmount(self) -> None:
        self.control.stop.set()  # a sweep still going ends at its next step

    @work(thread=True, exclusive=True, exit_on_error=False, group="lr-find")
    def sweep_in_thread(self) -> None:
        """The engine's sweep; everything it says comes back as messages (never a widget call from here)."""
        try:
            result = self.finder(self.cfg, self.sweep, lambda event: self.post_message(LrEvent(event)), self.control,
                                 self.runs_dir, self.data_root)  # fmt: skip
        except RdfiaError as exc:
            self.post_message(LrDone([f"error: {exc}"]))
            return
        except Exception as exc:  # a crash is said in the dialog, not a traceback over the console
            self.post_message(LrDone([f"error: {type(exc).__name__}: {exc}"]))
            return
        lines = report_lines(result.found, self.cfg.optim.lr, len(result.probes), result.seconds)
        found = result.found
        named = {"suggested": found.suggested_lr, "diverged": found.diverged_lr, "form lr": self.cfg.optim.lr} if found else {}
        marks = {name: lr for name, lr in named.items() if lr is not None and lr > 0}
        self.post_message(LrDone([*lines, f"{result.status}; run folder: {result.run_dir}"], marks.get("suggested"), marks))

    def on_lr_event(self, message: LrEvent) -> None:
        event = message.event
        if isinstance(event, LrProbe):
            self.lrs.append(event.lr)
            self.losses.append(event.loss)
            self.smoothed.append(event.smoothed_loss)
            self.report.update(f"step {event.step}/{event.steps}: lr {event.lr:.3g}, loss {event.loss:.4g}")
        elif isinstance(event, Notice):
            self.report.update(f"note: {event.message}")

    def on_lr_done(self, message: LrDone) -> None:
        self.done, self.suggested = True, message.suggested
        hint = ["a puts the suggested lr into the form; escape closes"] if message.suggested is not None else ["escape closes"]
        self.report.update("\n".join([*message.lines, *hint]))
        self.marks = message.marks
        self._drawn_at = 0.0
        self._redraw()
        self.refresh_bindings()

    def _redraw(self) -> None:
        if self.lrs and (self.done or time.monotonic() - self._drawn_at >= REDRAW_S):
            self._drawn_at = time.monotonic()
            self.query_one(LrCurve).draw(self.lrs, self.losses, self.smoothed, self.marks)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "apply":
            return self.suggested is not None or None  # greyed until there is a suggestion
        if action == "stop":
            return not self.done
        return True

    def action_apply(self) -> None:
        if self.suggested is not None:
            self.dismiss(self.suggested)

    def action_stop(self) -> None:
        self.control.stop.set()
        self.report.update("stopping after this step…")

    def action_close(self) -> None:
        self.control.stop.set()
        self.dismiss(None)


def open_lr_find(screen: Any) -> None:
    """From the main screen: the range test of the form's config (refused, saying why, while the form is invalid or
    when the console's engine has no ``lr_find``); ``a`` in it sets the form's optim.lr."""
    cfg = screen.startable_config()
    if cfg is None:
        return
    finder = getattr(screen.app.engine, "lr_find", None)
    if finder is None:
        screen.notify("this console's engine cannot run an lr range test; use 'rdfia-tui lr-find PRESET'", severity="warning")
        return

    def apply(lr: float | None) -> None:
        if lr is not None:
            rounded = float(f"{lr:.3g}")
            screen.form.set_value("optim.lr", rounded)
            screen.log_line(f"optim.lr set to {rounded:g}, the lr range test's suggestion")

    screen.log_line(f"lr range test of {cfg.name} (optim.lr {cfg.optim.lr:g}, batch {cfg.train.batch_size})")
    screen.app.push_screen(LrFindScreen(cfg, finder, screen.app.runs_dir, screen.app.options.data_root), apply)
