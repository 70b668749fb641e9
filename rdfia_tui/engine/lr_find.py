"""The learning-rate range test (``rdfia-tui lr-find``): a few hundred steps of the config's own model, data,
optimiser and batch size (engine.setup, engine.steps) with the lr growing geometrically, recorded as a run folder.

The arithmetic (lr of each step, smoothing, stop rule, suggestion) is engine.lr_range's. The folder holds
config.toml, lr_find.csv (step, lr, loss, smoothed_loss), summary.json (``lr_find``: the range and the suggestion;
no epochs) and events.jsonl (an LrProbe per step, then RunFinished), so ``rdfia-tui runs`` lists it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch

from rdfia_tui.engine import config as config_mod
from rdfia_tui.engine.config import RunConfig, with_absolute_paths
from rdfia_tui.engine.control import RunControl
from rdfia_tui.engine.data.splits import shuffled_indices
from rdfia_tui.engine.events import Emit, LrProbe, RunFinished, ignore
from rdfia_tui.engine.live.publish import published
from rdfia_tui.engine.lr_range import CURVE_FILE, LrRange, LrSuggestion, Probe, Smoother, collapse_note, curve_csv, divergence, suggest
from rdfia_tui.engine.optimisers import set_lr
from rdfia_tui.engine.runs.files import atomic_write
from rdfia_tui.engine.runs.record import RunRecord, create_run_dir, resolve_runs_dir
from rdfia_tui.engine.runs.status import RunStatus
from rdfia_tui.engine.setup import RunSetup, set_up
from rdfia_tui.engine.training import record_fields


@dataclass
class LrFindResult:
    """How the test ended: status (completed, stopped or failed), run folder, the probes, the suggestion, seconds."""

    status: RunStatus
    run_dir: Path
    probes: list[Probe] = field(default_factory=list)
    found: LrSuggestion | None = None
    seconds: float = 0.0
    message: str = ""


def find_lr(
    cfg: RunConfig,
    sweep: LrRange,
    emit: Emit = ignore,
    control: RunControl | None = None,
    *,
    runs_dir: str | Path | None = None,
    data_root: str | Path | None = None,
) -> LrFindResult:
    """Sweep ``cfg``'s lr over ``sweep`` on its training split and record it. Set-up errors raise RdfiaError
    (engine.setup.set_up's, RecordError for the runs folder); ``control.stop`` ends the sweep early (stopped)."""
    cfg, control = with_absolute_paths(cfg), control or RunControl()
    setup = set_up(cfg, data_root)
    record = open_lr_record(setup, runs_dir, sweep)
    with published(record.run_dir, emit, control) as emit:
        return LrSweep(setup, record, sweep, emit, control).run()


def open_lr_record(setup: RunSetup, runs_dir: str | Path | None, sweep: LrRange) -> RunRecord:
    """A new folder ``<stamp>-<preset>-lr-find`` with config.toml and a first summary.json (status running, ``lr_find``
    with the range, no step done yet)."""
    run_dir = create_run_dir(resolve_runs_dir(runs_dir), f"{setup.cfg.name}-lr-find")
    record = RunRecord(run_dir=run_dir, config=setup.cfg, **record_fields(setup))
    atomic_write(run_dir / "config.toml", config_mod.dumps(setup.cfg))
    s = sweep
    record.lr_find = {"start_lr": s.start_lr, "end_lr": s.end_lr, "steps": s.steps, "steps_done": 0, "config_lr": setup.cfg.optim.lr}
    record.write()
    return record


class LrSweep:
    """One range test from its first step to its record."""

    def __init__(self, setup: RunSetup, record: RunRecord, sweep: LrRange, emit: Emit, control: RunControl) -> None:
        self.setup, self.record, self.sweep, self.emit, self.control = setup, record, sweep, emit, control
        self.probes: list[Probe] = []

    def run(self) -> LrFindResult:
        """Step until the loss diverges, the lr reaches ``end_lr`` or a stop; then record and emit RunFinished."""
        began = time.perf_counter()
        try:
            status, reason = self.steps()
        except torch.OutOfMemoryError:
            b = self.setup.cfg.train.batch_size
            status, reason = RunStatus.FAILED, f"out of memory with train.batch_size {b}; try --set train.batch_size={max(1, b // 2)}"
        except BaseException as exc:
            self.finish(RunStatus.STOPPED if isinstance(exc, KeyboardInterrupt) else RunStatus.FAILED, None, time.perf_counter() - began,
                        f"{type(exc).__name__}: {exc}")  # fmt: skip
            raise
        return self.finish(status, reason, time.perf_counter() - began)

    def steps(self) -> tuple[RunStatus, str | None]:
        """Train step by step; (completed, why it diverged or None) or (stopped, None)."""
        setup, split = self.setup, self.setup.splits.train
        setup.net.train()
        smoother, best = Smoother(), math.inf
        for i, idx in zip(range(self.sweep.steps), self.batches(), strict=False):
            if self.control.stop.is_set():
                return RunStatus.STOPPED, None
            lr = self.sweep.lr_at(i)
            set_lr(setup.optimiser, lr)
            loss, _ = setup.step(setup.pipeline.train_batch(split.x[idx], setup.generator), split.y[idx])
            value = float(loss.item())  # the stop rule needs each step's loss: one sync per step
            probe = Probe(i + 1, lr, value, smoother.add(value) if math.isfinite(value) else math.inf)
            self.probes.append(probe)
            self.emit(LrProbe(probe.step, self.sweep.steps, lr, value, probe.smoothed))
            reason = divergence(probe, best)
            if reason is not None:
                return RunStatus.COMPLETED, reason
            best = min(best, probe.smoothed)
        return RunStatus.COMPLETED, None

    def batches(self) -> Iterator[torch.Tensor]:
        """Shuffled index batches of the training split, epoch after epoch (the sweep may outlast one)."""
        s = self.setup
        while True:
            yield from shuffled_indices(s.splits.train, s.cfg.train.batch_size, s.generator, s.min_last)

    def collapse(self) -> str | None:
        """collapse_note for the config's lr, with cross-entropy (the loss whose chance level is ln(classes))."""
        cfg = self.setup.cfg
        if cfg.train.loss != "cross_entropy":
            return None
        return collapse_note(self.probes, cfg.optim.lr, len(self.setup.splits.class_names))

    def finish(self, status: RunStatus, reason: str | None, seconds: float, message: str | None = None) -> LrFindResult:
        """Write lr_find.csv and summary.json (with the suggestion), emit RunFinished, return the result."""
        found = replace(suggest(self.probes, reason), collapse=self.collapse())
        s = self.sweep
        self.record.lr_find = {"start_lr": s.start_lr, "end_lr": s.end_lr, "steps": s.steps, "steps_done": len(self.probes),
                               "seconds": round(seconds, 3), "config_lr": self.setup.cfg.optim.lr, **found.to_dict()}  # fmt: skip
        atomic_write(self.record.run_dir / CURVE_FILE, curve_csv(self.probes))
        message = message or outcome_message(status, found, len(self.probes))
        summary = self.record.finish(status, message)
        self.emit(RunFinished(self.record.run_dir, status.value, message, summary))
        return LrFindResult(status, self.record.run_dir, self.probes, found, seconds, message)


def outcome_message(status: RunStatus, found: LrSuggestion, steps: int) -> str:
    """summary.json's one-line message for a range test."""
    if status is RunStatus.STOPPED:
        return f"stopped after {steps} steps"
    suggested = f"suggested lr {found.suggested_lr:.3g} ({found.rule})" if found.suggested_lr is not None else "no suggestion"
    diverged = f"diverged at lr {found.diverged_lr:.3g}" if found.diverged_lr is not None else "did not diverge"
    return f"lr range test over {steps} steps: {suggested}; {diverged}"
