"""Under the form: the config's estimated peak memory against the free memory (safe / tight / will not fit),
re-estimated off the UI thread a moment after the config stops changing (engine.memory_fit)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from textual import work
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static

from rdfia_tui.engine.config import RunConfig
from rdfia_tui.engine.errors import RdfiaError
from rdfia_tui.engine.memory_fit import SAFE, TIGHT, WONT_FIT, MemoryEstimate, describe, size

Estimator = Callable[[RunConfig, str | None, threading.Event], MemoryEstimate]  # engine.memory_fit.estimate_in_child
VERDICT_CLASSES = {SAFE: "-safe", TIGHT: "-tight", WONT_FIT: "-wont-fit"}


def memory_key(cfg: RunConfig) -> tuple[Any, ...]:
    """What the estimate depends on: the data, the model, the optimiser's state, the batch, the device and the dtype
    (the learning rate, the schedule and the epochs change nothing)."""
    o, t = cfg.optim, cfg.train
    return (cfg.data, cfg.model, o.name, o.momentum > 0, t.batch_size, t.device, t.dtype, t.loss)


def fit_line(e: MemoryEstimate) -> str:
    """The form's line, short enough for a narrow sidebar: the verdict and the peak against the free memory."""
    if e.free_bytes is None:
        return f"memory: ~{size(e.peak_bytes)} on {e.device} (free memory unknown)"
    return f"memory {e.verdict}: ~{size(e.peak_bytes)} of {size(e.free_bytes)} free"


class MemoryEstimated(Message):
    """An estimate for the config with ``key`` (or the one-line reason there is none)."""

    def __init__(self, key: tuple[Any, ...], estimate: MemoryEstimate | None, error: str = "") -> None:
        super().__init__()
        self.key, self.estimate, self.error = key, estimate, error


class MemoryFit(Static):
    """The verdict line. Hidden while the app has no estimator (the tests' fake engines)."""

    DEFAULT_CSS = """
    MemoryFit { height: auto; padding: 0 1; color: $text-muted; }
    MemoryFit.-safe { color: $success; }
    MemoryFit.-tight { color: $warning; }
    MemoryFit.-wont-fit { color: $error; text-style: bold; }
    """
    DEBOUNCE_S = 0.6  # a burst of edits (typing a number) is estimated once

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self.key: tuple[Any, ...] | None = None
        self.estimate: MemoryEstimate | None = None
        self._timer: Timer | None = None
        self._cancel = threading.Event()  # set when the console closes: the estimate's child is ended

    @property
    def estimator(self) -> Estimator | None:
        return getattr(self.app, "memory_estimator", None)

    def on_mount(self) -> None:
        self.display = self.estimator is not None

    def on_unmount(self) -> None:
        self._cancel.set()

    def follow(self, cfg: RunConfig) -> None:
        """The form holds ``cfg``: estimate it once it has not changed for DEBOUNCE_S seconds (if what matters changed)."""
        if self.estimator is None or memory_key(cfg) == self.key:
            return
        self.key = memory_key(cfg)
        self.set_classes("")
        self.update("memory: estimating…")
        if self._timer is not None:
            self._timer.stop()
        data_root = getattr(getattr(self.app, "options", None), "data_root", None)
        self._timer = self.set_timer(self.DEBOUNCE_S, lambda: self._estimate(self.estimator, cfg, data_root, self.key))

    def form_invalid(self) -> None:
        """The form has errors: no verdict until it holds a config again (the last valid config's would be stale)."""
        if self.estimator is None:
            return
        self.key = self.estimate = None  # an answer still on its way is dropped; the next valid config is estimated
        if self._timer is not None:
            self._timer.stop()
        self.set_classes("")
        self.tooltip = None
        self.update("memory: fix the form first")

    @work(thread=True, exclusive=True, exit_on_error=False, group="memory-estimate")
    def _estimate(self, estimator: Estimator, cfg: RunConfig, data_root: str | None, key: tuple[Any, ...]) -> None:
        try:
            self.post_message(MemoryEstimated(key, estimator(cfg, data_root, self._cancel)))
        except RdfiaError as exc:
            self.post_message(MemoryEstimated(key, None, str(exc)))

    def on_memory_estimated(self, message: MemoryEstimated) -> None:
        message.stop()
        if message.key != self.key:
            return  # an older config's answer
        self.estimate = message.estimate
        if message.estimate is None:
            self.set_classes("")
            self.update(f"memory: not estimated ({message.error})")
            return
        self.set_classes(VERDICT_CLASSES.get(message.estimate.verdict, ""))
        self.update(fit_line(message.estimate))
        self.tooltip = describe(message.estimate)  # the device and where the peak comes from
