"""The training loop: ``fit`` trains a config and records the run, reporting through typed events.

``fit`` reads as the story of a run: set up (engine.setup), open or reopen the record (engine.runs),
measure epoch 0, then train, measure, record and checkpoint each epoch until a stop rule
(engine.stop_rules) ends the run. Evaluation is engine.evaluation's; the steps are engine.steps'.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from rdfia_tui.engine.boundary import decision_grid, plane_extent, sample_points
from rdfia_tui.engine.config import DataConfig, RunConfig, with_absolute_paths
from rdfia_tui.engine.control import RunControl
from rdfia_tui.engine.data.pipeline import InputPipeline
from rdfia_tui.engine.data.splits import Split, shuffled_indices, steps_per_epoch
from rdfia_tui.engine.data.streaming import batches_of
from rdfia_tui.engine.distributed import ONE_PROCESS, ShareWeightedLoss, Steering, World
from rdfia_tui.engine.early_stop import EarlyStopping
from rdfia_tui.engine.errors import RecordError, RecordWriteError
from rdfia_tui.engine.evaluation import EpochEvaluator, eval_batch_size, per_class_accuracy, predict_samples, sample_indices
from rdfia_tui.engine.events import (
    BatchProgress,
    BoundaryUpdated,
    Emit,
    EpochEnded,
    EpochMetrics,
    Notice,
    Patience,
    PlanePoints,
    RunFinished,
    RunStarted,
    ignore,
)
from rdfia_tui.engine.fingerprint import fingerprint_difference
from rdfia_tui.engine.live.publish import published
from rdfia_tui.engine.memory import peak_allocated
from rdfia_tui.engine.models.manual import HandSGD
from rdfia_tui.engine.optimisers import set_lr
from rdfia_tui.engine.runs.checkpoint import TrainingState
from rdfia_tui.engine.runs.files import held
from rdfia_tui.engine.runs.record import RunRecord, UnwrittenRecord, resolve_runs_dir
from rdfia_tui.engine.runs.status import RunStatus
from rdfia_tui.engine.schedules import is_stepped, lr_at
from rdfia_tui.engine.setup import RunSetup, set_up
from rdfia_tui.engine.steps import Step
from rdfia_tui.engine.stop_rules import (
    COMPLETED,
    Ending,
    early_stop_rule,
    initial_loss_rule,
    metrics_rule,
    recorded_rule,
    training_rule,
)
from rdfia_tui.engine.tensorboard_log import require_tensorboard, tensorboard_logged

Progress = Callable[[int, int, list[float], float], None]  # (step, steps, losses since the last call, seconds)


@dataclass
class EpochOutcome:
    """One epoch's training: mean loss and accuracy (0-1) over its images, seconds of steps (pauses excluded),
    the step whose loss was non-finite, whether a stop cut it short, and the lr set by hand (step, lr)."""

    loss: float = math.nan
    acc: float = math.nan
    seconds: float = 0.0
    images: int = 0
    diverged_step: int | None = None
    stopped: bool = False
    lr_changes: list[tuple[int, float]] = field(default_factory=list)
    first_lr: float | None = None  # a stepped schedule: the lr of the epoch's first step (what the record keeps)


@dataclass
class RunResult:
    """How a run ended: its status, run folder, one-line message and summary.json's mapping."""

    status: RunStatus
    run_dir: Path
    message: str = ""
    summary: dict = field(default_factory=dict)


@dataclass
class EpochLoop:
    """What every training epoch uses. ``min_last``: a last batch smaller than this joins the previous one
    (2 with batch-norm); ``progress_interval``: seconds between progress reports (one device sync each)."""

    model: nn.Module
    split: Split
    batch_size: int
    generator: torch.Generator
    optimiser: torch.optim.Optimizer | HandSGD
    step: Step
    pipeline: InputPipeline | None = None
    dtype: torch.dtype = torch.float32
    min_last: int = 1
    progress_interval: float = 0.1
    world: World = ONE_PROCESS
    augment_generator: torch.Generator | None = None  # a rank's own augmentation stream; None: ``generator``
    shared_loss: ShareWeightedLoss | None = None  # a distributed run weights each rank's loss by its share
    planned_lr: Callable[[int], float] | None = None  # a stepped schedule: the lr of each 1-based step, before lr_scale
    lr_scale: float = 1.0  # an lr set by hand rescales the schedule

    @classmethod
    def of(cls, setup: RunSetup, augment_generator: torch.Generator | None = None) -> EpochLoop:
        """The loop ``setup`` trains with: its network, training split, batch size, generator, optimiser, step and pipeline."""
        t = setup.cfg.train
        return cls(setup.net, setup.splits.train, t.batch_size, setup.generator, setup.optimiser, setup.step,
                   setup.pipeline, setup.dtype, setup.min_last, t.progress_interval, setup.world, augment_generator,
                   setup.shared_loss)  # fmt: skip


class _StepLosses:
    """The epoch's step losses, kept on the device and read once per progress interval."""

    def __init__(self, steps: int, device: torch.device, dtype: torch.dtype, on_progress: Progress, world: World = ONE_PROCESS) -> None:
        self.world = world
        self.losses = torch.zeros(steps, device=device, dtype=dtype)
        self.sizes = torch.zeros(steps, device=device)
        self.steps, self.on_progress = steps, on_progress
        self.reported, self.diverged_step = 0, None
        self.start = self.last_report = time.perf_counter()
        self.paused = 0.0

    def report(self, step: int) -> bool:
        """Read the losses of steps reported..step (in a distributed run, the ranks' weighted losses added: the
        global batch's mean); False when one is not finite."""
        part = self.losses[self.reported : step]
        if self.world.distributed:
            self.world.all_reduce(part).div_(self.world.world_size)
        recent = part.tolist()
        for offset, value in enumerate(recent):
            if not math.isfinite(value):
                self.diverged_step = self.reported + offset + 1
                return False
        self.on_progress(step, self.steps, recent, time.perf_counter() - self.start - self.paused)
        self.reported, self.last_report = step, time.perf_counter()
        return True


def train_one_epoch(loop: EpochLoop, control: RunControl, on_progress: Progress) -> EpochOutcome:
    """One pass over ``loop.split``; pauses, stops and lr changes from ``control`` are taken between steps.

    Returns an EpochOutcome: loss as the mean over the epoch's images, accuracy (0-1) of the logits seen while the
    weights changed, seconds of steps (pauses excluded), and the 1-based step whose loss was non-finite (found at
    a progress report, where the epoch stops). ``on_progress(step, steps, losses, elapsed_s)`` is called at most once per progress interval.
    Raises nothing of its own; torch's errors (torch.OutOfMemoryError) pass through.
    """
    loop.model.train()
    split, out, world = loop.split, EpochOutcome(), loop.world
    steps = steps_per_epoch(len(split), loop.batch_size, loop.min_last)
    losses = _StepLosses(steps, split.y.device, loop.dtype, on_progress, world)
    correct = torch.zeros((), dtype=torch.int64, device=split.y.device)
    pipeline = loop.pipeline or InputPipeline(DataConfig(), loop.dtype)
    steering, augment = Steering(world, control, split.y.device), loop.augment_generator or loop.generator
    batches, step = list(shuffled_indices(split, loop.batch_size, loop.generator, loop.min_last)), 0
    shares = [world.share(idx) for idx in batches]  # this rank's part of each global batch
    for step, (idx, share, stored) in enumerate(zip(batches, shares, batches_of(split.x, shares), strict=True), start=1):
        xb, yb = pipeline.train_batch(stored, augment), split.y[share]
        stop, new_lr, report, paused = steering.before_step(time.perf_counter() - losses.last_report >= loop.progress_interval)
        if stop:
            out.stopped, step = True, step - 1
            break
        losses.paused += paused
        follow_schedule(loop, out, step, new_lr)
        if step == 1 and loop.planned_lr is not None:
            out.first_lr = loop.optimiser.param_groups[0]["lr"]
        if loop.shared_loss is not None:
            loop.shared_loss.weigh(len(share), len(idx), world.world_size)
        loss, logits = loop.step(xb, yb)
        losses.losses[step - 1], losses.sizes[step - 1] = loss, len(idx)
        correct += (logits.argmax(dim=1) == yb).sum()
        if report and not losses.report(step):
            break
    if losses.diverged_step is None and losses.reported < step:
        losses.report(step)
    world.all_reduce(correct)
    out.diverged_step, out.images = losses.diverged_step, int(losses.sizes.sum().item())
    out.seconds = time.perf_counter() - losses.start - losses.paused
    if out.images:
        out.loss = float((losses.losses * losses.sizes).sum().item()) / out.images
        out.acc = float(correct.item()) / out.images
    return out


def follow_schedule(loop: EpochLoop, out: EpochOutcome, step: int, new_lr: float | None) -> None:
    """Before ``step``: an lr set by hand (kept in ``out``; a stepped schedule is rescaled to it), else a stepped
    schedule's lr for this step."""
    if new_lr is not None:
        set_lr(loop.optimiser, new_lr)
        out.lr_changes.append((step, new_lr))
        if loop.planned_lr is not None:
            loop.lr_scale = new_lr / loop.planned_lr(step)
    elif loop.planned_lr is not None:
        set_lr(loop.optimiser, loop.planned_lr(step) * loop.lr_scale)


def fit(
    cfg: RunConfig,
    emit: Emit = ignore,
    control: RunControl | None = None,
    *,
    runs_dir: str | Path | None = None,
    data_root: str | Path | None = None,
    resume: str | Path | None = None,
    console: bool = False,
    world: World = ONE_PROCESS,
) -> RunResult:
    """Train ``cfg`` and record the run. User mistakes found before training raise RdfiaError.

    ``console``: the run shares its process with the console, so ``train.threads = 0`` leaves a
    Python-bound MLP one core fewer (speed.auto_threads).

    Every run publishes its events to events.jsonl in its folder and takes commands from other processes
    (engine.live.publish); ``emit`` and ``control`` are this process's subscriber and controls.

    With ``resume`` (a run folder holding a checkpoint), the run continues in that folder from its
    last checkpointed epoch, with every state restored: the metrics equal an uninterrupted run's.

    Returns a RunResult whose status is completed, early-stopped, stopped, diverged or failed (out of memory, or a record the
    disk refused, end the run as failed). Before training: ConfigError, DataError, DeviceError, ArchitectureError,
    ResourceError (set_up), RecordError (runs dir not writable; checkpoint missing or damaged, or other data;
    the run being resumed by another process).
    A KeyboardInterrupt or unexpected exception is recorded (stopped / failed), then raised. Metrics: accuracies
    0-1, lr per step, seconds, images per second.

    ``world``: this process's rank in a distributed run (engine.distributed); every rank calls ``fit``, rank 0
    alone writes the records, publishes the events and takes commands.
    """
    if resume is not None and world.main:
        with held(Path(resume), "trains this run"):  # two resumes of one run would train it twice into one folder
            return _fit(cfg, emit, control, runs_dir, data_root, resume, console, world)
    return _fit(cfg, emit, control, runs_dir, data_root, resume, console, world)


def _fit(cfg: RunConfig, emit: Emit, control: RunControl | None, runs_dir: str | Path | None, data_root: str | Path | None,
         resume: str | Path | None, console: bool, world: World) -> RunResult:  # fmt: skip
    """fit's story, once the run folder of a resumed run is held."""
    if cfg.train.tensorboard:
        require_tensorboard()  # before anything costly: a missing package is a one-line ConfigError
    state = TrainingState.load(Path(resume)) if resume is not None else None
    if state is not None:
        same_world_or_refuse(Path(resume), state.world_size, world.world_size)
    cfg = with_absolute_paths(cfg) if state is None else cfg
    accept = (lambda fingerprint: same_data_or_refuse(state, fingerprint, Path(resume), cfg)) if state else (lambda fingerprint: None)
    setup = set_up(cfg, data_root, console=console, accept_data=accept, world=world)
    record, control = open_record(setup, runs_dir, resume, state), control or RunControl()
    resumed_after = state.epoch if state is not None else None  # the epochs the run's tensorboard/ holds already
    tensorboard = tensorboard_logged(emit, record.run_dir, enabled=cfg.train.tensorboard and world.main, resumed_after=resumed_after)
    with tensorboard as emit, published(record.run_dir, emit, control, enabled=world.main) as emit:  # events.jsonl, commands, live.json
        run = TrainingRun(setup, record, emit, control)
        if state is not None:
            state.restore(setup, record)
            run.start_epoch, run.lr_scale = state.epoch, state.lr_scale
            if run.early_stop is not None:
                run.early_stop.load_state(state.early_stop, setup.device)
        run.announce()
        return run.train()


def open_record(setup: RunSetup, runs_dir: str | Path | None, resume: str | Path | None, state: TrainingState | None) -> RunRecord:
    """A new run folder, or the resumed one reopened with its original start time. In a distributed run rank 0
    makes the folder and the other ranks keep an UnwrittenRecord of it (a RecordError reaches every rank)."""
    world = setup.world
    if not world.main:
        answer = world.broadcast_text("")
        if answer.startswith("error:"):
            raise RecordError(answer.removeprefix("error:"))
        return UnwrittenRecord(Path(answer), setup.cfg, **record_fields(setup), started=state.started if state else time.time())
    try:
        record = _open_record(setup, runs_dir, resume, state)
    except RecordError as exc:
        world.broadcast_text(f"error:{exc}")
        raise
    world.broadcast_text(str(record.run_dir))
    return record


def _open_record(setup: RunSetup, runs_dir: str | Path | None, resume: str | Path | None, state: TrainingState | None) -> RunRecord:
    fields = record_fields(setup)
    if state is None:
        return RunRecord.create(resolve_runs_dir(runs_dir), setup.cfg, **fields)
    return RunRecord.reopen(Path(resume), setup.cfg, started=state.started, **fields)


def record_fields(setup: RunSetup) -> dict:
    """What a run's record knows from its set-up: device, layers, split sizes, classes, speed, world and data."""
    splits = setup.splits
    return {
        "device": setup.device_name,
        "layers": setup.table.to_dict(),
        "sizes": {"train": len(splits.train), "val": len(splits.val), "test": len(splits.test)},
        "class_names": splits.class_names,
        "speed": {**setup.speed.to_dict(), "threads": setup.threads},
        "world": setup.world.describe(),
        "data": setup.data.report,
        "data_fingerprint": setup.data.fingerprint,
    }


class TrainingRun:
    """One run from its first event to its last: the epochs, their records and checkpoints, its ending."""

    def __init__(self, setup: RunSetup, record: RunRecord, emit: Emit, control: RunControl) -> None:
        self.setup, self.record, self.emit, self.control = setup, record, emit, control
        t, splits = setup.cfg.train, setup.splits
        batch = eval_batch_size(t.eval_batch_size, setup.device)
        self.evaluator = EpochEvaluator(setup.net, splits, setup.loss_fn, batch, setup.dtype, setup.pipeline, emit, t.progress_interval,
                                        record.test_confusion)  # fmt: skip
        self.samples = sample_indices(splits.test.y, splits.n_classes) if len(splits.input_shape) == 3 else None
        self.plane = plane_extent(splits.train.x.float()) if splits.input_shape == (2,) else None
        self.start_epoch, self.lr_scale = 0, 1.0  # lr_scale: a learning rate set by hand rescales the schedule
        self.checkpointed: list[int] = []  # the epochs whose checkpoint reached the disk
        self.epoch_wall_s = 0.0  # how long the last whole epoch took: steps, evaluation, records, panels
        self.early_stop = EarlyStopping.of(setup.cfg.train)  # None when train.early_stop_patience is 0

    # ---- events and records ------------------------------------------------------------------
    def announce(self) -> None:
        """RunStarted, the plane's points for a 2-D dataset, and the set-up's notes."""
        s, t = self.setup, self.setup.cfg.train
        threads = f"{s.threads} thread{'s' if s.threads > 1 else ''}"
        if s.world.distributed:
            threads += f" each, {s.world.world_size} {s.world.backend} processes"
        self.emit(RunStarted(run_dir=self.record.run_dir, preset=s.cfg.name, config=s.cfg.to_dict(), device=self.record.device,
                             params=s.table.total_params, layers=s.table.to_dict()["rows"], n_train=len(s.splits.train),
                             n_val=len(s.splits.val), n_test=len(s.splits.test), epochs=t.epochs, steps_per_epoch=s.steps_per_epoch,
                             class_names=s.splits.class_names, speed=f"{s.speed.describe()}, {threads}"))  # fmt: skip
        if self.plane is not None:
            points, labels = sample_points(s.splits.train.x, s.splits.train.y)
            self.emit(PlanePoints(tuple(map(tuple, points)), tuple(labels), *self.plane))
        for note in s.notes():
            self.notify(note)

    def notify(self, message: str) -> None:
        """A Notice for the subscribers, kept in summary.json's "notes" too."""
        self.record.notes.append(message)
        self.emit(Notice(message))

    def add_epoch(self, metrics: EpochMetrics) -> None:
        """Record a measured epoch, write it, checkpoint it, and show it (charts, samples, boundary)."""
        record, matrix = self.record, self.record.test_confusion[-1]
        record.epochs.append(metrics)
        record.per_class_test_acc = per_class_accuracy(matrix, self.setup.splits.class_names)
        patience = self.early_stop.observe(metrics, self.setup.model) if self.early_stop is not None else None
        if self.early_stop is not None:
            record.early_stop = self.early_stop.record()
        record.write()
        self.emit(EpochEnded(metrics, self.setup.cfg.train.epochs, tuple(map(tuple, matrix)), patience))
        if not self.setup.world.main:
            return  # the panels and the checkpoint are rank 0's
        if self.samples is not None:
            self.emit(predict_samples(self.setup.net, self.setup.splits, self.samples, self.setup.pipeline, metrics.epoch))
        if self.plane is not None:
            grid = decision_grid(self.setup.model, *self.plane, dtype=self.setup.dtype)
            self.emit(BoundaryUpdated(metrics.epoch, tuple(map(tuple, grid)), *self.plane))
        self.save_state(metrics.epoch)

    def save_state(self, epoch: int) -> None:
        """With ``train.checkpoint = "epoch"``, write checkpoint.pt after ``epoch`` (RecordWriteError when the disk refuses)."""
        if self.setup.cfg.train.checkpoint == "epoch":
            counter = self.early_stop.to_state() if self.early_stop is not None else None
            TrainingState.capture(epoch, self.setup, self.record, self.lr_scale, counter).save(self.record.run_dir)
            self.checkpointed.append(epoch)

    def end(self, ending: Ending) -> RunResult:
        """Finish the record with ``ending``'s status and message, emit RunFinished, and return the RunResult."""
        if ending.diverged_at is not None:
            self.record.diverged_at = ending.diverged_at.to_dict()
        if ending.status == RunStatus.EARLY_STOPPED:
            ending = self.stop_early(ending)
        summary = self.record.finish(ending.status, ending.message)
        self.emit(RunFinished(self.record.run_dir, ending.status, ending.message, summary))
        return RunResult(ending.status, self.record.run_dir, ending.message, summary)

    def stop_early(self, ending: Ending) -> Ending:
        """Record why the run stopped early; with ``train.restore_best``, put the best epoch's weights back, measure them on
        the test split (summary.json's final_test_acc) and checkpoint them. Returns the ending with the restore said."""
        stopper, record, last = self.early_stop, self.record, self.record.epochs[-1].epoch
        if stopper is None:
            return ending
        record.early_stop = {**stopper.record(), "stopped_after": last, "reason": ending.message}
        if not stopper.restore_best:
            return ending
        best = stopper.restore(self.setup.model)
        if best is None:
            self.notify("no weights were kept for the best epoch (train.restore_best was off before a resume); the last epoch's stay")
            return ending
        test_acc = self.evaluator.split(last, "test", self.setup.splits.test)[1]
        record.restored_test_acc = test_acc
        record.early_stop.update(restored_epoch=best, restored_test_acc=test_acc)
        if self.setup.world.main:
            self.save_state(last)  # the checkpoint's weights are the best epoch's
        return Ending(ending.status, f"{ending.message}; restored the weights of epoch {best} (test accuracy {100 * test_acc:.2f}%)")

    def end_quietly(self, ending: Ending) -> RunResult:
        """end() when the disk may refuse the last write too: the previous summary.json then stays."""
        try:
            return self.end(ending)
        except RecordWriteError:
            self.record.status, self.record.message = ending.status, ending.message
            summary = self.record.summary()
            self.emit(RunFinished(self.record.run_dir, ending.status, ending.message, summary))
            return RunResult(ending.status, self.record.run_dir, ending.message, summary)

    # ---- the epochs --------------------------------------------------------------------------
    def train(self) -> RunResult:
        """Epoch 0 (or the resumed history), then each epoch until a stop rule ends the run."""
        try:
            ending, epoch = self.begin(), self.start_epoch
            while ending is None and epoch < self.setup.cfg.train.epochs:
                epoch += 1
                ending = self.epoch(epoch)
            return self.end(ending or COMPLETED)
        except RecordWriteError as exc:
            return self.end_quietly(Ending(RunStatus.FAILED, write_failure(exc, self.record, self.checkpointed)))
        except torch.OutOfMemoryError:
            b = self.setup.cfg.train.batch_size
            hint = f"try a smaller batch, e.g. --set train.batch_size={max(1, b // 2)}"
            return self.end(Ending(RunStatus.FAILED, f"out of memory on {self.record.device} with train.batch_size {b}; {hint}"))
        except KeyboardInterrupt:
            self.end(Ending(RunStatus.STOPPED, "interrupted; the completed epochs are recorded"))
            raise
        except BaseException as exc:
            self.end(Ending(RunStatus.FAILED, f"{type(exc).__name__}: {exc}"))
            raise

    def begin(self) -> Ending | None:
        """A new run measures its initial weights (epoch 0); a resumed one replays its history for the charts."""
        if self.start_epoch == 0:
            cfg = self.setup.cfg
            metrics = self.evaluator.measure_initial(lr_at(cfg.schedule, cfg.optim.lr, 0, cfg.train.epochs))
            ending = initial_loss_rule(metrics, self.setup.splits)
            if ending is None:
                self.add_epoch(metrics)
            return ending
        self.record.write()
        self.notify(f"resumed after epoch {self.start_epoch} from {self.record.run_dir / 'checkpoint.pt'}")
        history = list(zip(self.record.epochs, self.record.test_confusion, strict=False))
        for i, (metrics, matrix) in enumerate(history, start=1):
            patience = self.replayed_patience(i == len(history))
            self.emit(EpochEnded(metrics, self.setup.cfg.train.epochs, tuple(map(tuple, matrix)), patience))
        return None

    def replayed_patience(self, last: bool) -> Patience | None:
        """The restored counter, on the last replayed epoch only (the earlier counts are not kept)."""
        stopper = self.early_stop
        return stopper.counter() if last and stopper is not None and stopper.best_epoch >= 0 else None

    def epoch(self, epoch: int) -> Ending | None:
        """Train, measure, record and checkpoint one epoch; the Ending when a stop rule fires."""
        cfg, began = self.setup.cfg, time.perf_counter()
        planned = lr_at(cfg.schedule, cfg.optim.lr, epoch - 1, cfg.train.epochs)
        set_lr(self.setup.optimiser, planned * self.lr_scale)
        augment = self.setup.world.epoch_generator(cfg.train.seed, epoch, self.setup.device)  # per rank; None for one process
        loop = EpochLoop.of(self.setup, augment)
        loop.planned_lr, loop.lr_scale = self.stepped_lr(epoch), self.lr_scale
        outcome = train_one_epoch(loop, self.control, self.progress(epoch))
        paused_s = time.perf_counter() - began - outcome.seconds  # a pause is no part of an epoch's cost
        self.take_lr_changes(epoch, outcome, planned, loop)
        # the epoch's lr: the one it ended with (a change by hand shows), or a stepped schedule's first step's, as
        # `rdfia-tui schedule`, the preview and the lesson give it
        lr_used = outcome.first_lr if outcome.first_lr is not None else self.setup.optimiser.param_groups[0]["lr"]
        steps = self.setup.steps_per_epoch
        ending = training_rule(epoch, outcome.diverged_step, outcome.stopped, self.setup.model, steps, lr_used)
        if ending is not None:
            return ending
        rate = outcome.images / outcome.seconds if outcome.seconds > 0 else 0.0
        metrics = self.evaluator.measure(epoch, (outcome.loss, outcome.acc), lr_used, outcome.seconds, rate)
        ending = metrics_rule(metrics, self.setup.splits, steps, lr_used)
        if ending is not None:
            return ending
        self.add_epoch(metrics)
        self.epoch_wall_s = time.perf_counter() - began - paused_s
        return recorded_rule(epoch, cfg.train.epochs, self.setup.world.agreed(self.control.stop.is_set())) or self.early_ending(epoch)

    def early_ending(self, epoch: int) -> Ending | None:
        """The early-stopping rule after ``epoch``; every rank of a distributed run follows rank 0's decision."""
        if self.early_stop is None:
            return None
        ending = early_stop_rule(self.early_stop.counter(), epoch, self.setup.cfg.train.epochs)
        if not self.setup.world.agreed(ending is not None):
            return None
        return ending or Ending(RunStatus.EARLY_STOPPED, f"stopped early after epoch {epoch}, as rank 0 decided")

    def take_lr_changes(self, epoch: int, outcome: EpochOutcome, planned: float, loop: EpochLoop) -> None:
        """Record the learning rates set by hand during the epoch; the last one rescales the schedule."""
        for step, new_lr in outcome.lr_changes:
            self.record.lr_changes.append({"epoch": epoch, "step": step, "lr": new_lr})
            self.notify(f"learning rate set to {new_lr:g} at epoch {epoch}, step {step}")
        if loop.planned_lr is not None:
            self.lr_scale = loop.lr_scale  # a stepped schedule's loop rescaled itself at the change
        elif outcome.lr_changes:
            self.lr_scale = outcome.lr_changes[-1][1] / planned

    def stepped_lr(self, epoch: int) -> Callable[[int], float] | None:
        """A stepped schedule's lr for each 1-based step of ``epoch`` (t = epoch − 1 + (step − 1)/steps); None for one
        that holds the lr through the epoch."""
        cfg, steps = self.setup.cfg, self.setup.steps_per_epoch
        if not is_stepped(cfg.schedule):
            return None
        return lambda step: lr_at(cfg.schedule, cfg.optim.lr, epoch - 1 + (step - 1) / steps, cfg.train.epochs)

    def progress(self, epoch: int) -> Progress:
        """BatchProgress events for ``epoch``: mean loss since the last report, images per second, ETA."""
        t, n = self.setup.cfg.train, len(self.setup.splits.train)

        def on_progress(step: int, steps: int, losses: list[float], elapsed: float) -> None:
            rate = min(step * (t.batch_size or n), n) / elapsed if elapsed > 0 else 0.0
            remaining = eta_seconds(steps - step, elapsed / step, t.epochs - epoch, steps, self.evaluator.seconds, self.epoch_wall_s)
            loss = sum(losses) / len(losses) if losses else math.nan
            self.emit(BatchProgress(epoch, step, steps, loss, rate, remaining, tuple(losses), peak_allocated(self.setup.device)))

        return on_progress


def same_data_or_refuse(state: TrainingState, fingerprint: dict, run_dir: Path, cfg: RunConfig) -> None:
    """Raise RecordError when a resumed run would train on other data than its checkpoint's."""
    if state.data_fingerprint is None:
        return  # written before fingerprints existed: nothing to compare with
    difference = fingerprint_difference(state.data_fingerprint, fingerprint)
    if difference:
        where = f", data.path {cfg.data.path}" if cfg.data.path else ""
        raise RecordError(f"cannot resume {run_dir}: its data changed since it started ({difference}{where}); resume it on the same data")


def same_world_or_refuse(run_dir: Path, trained_on: int, world_size: int) -> None:
    """Raise RecordError when a run that trained on ``trained_on`` processes would resume on ``world_size``."""
    if trained_on != world_size:
        raise RecordError(
            f"cannot resume {run_dir}: it trained on {trained_on} process(es) and this is {world_size}; "
            f"resume it with --set train.nproc={trained_on} (or torchrun with as many processes in all)"
        )


def write_failure(exc: RecordWriteError, record: RunRecord, checkpointed: list[int]) -> str:
    """One line for a record the disk refused: what failed, what is kept, what to do."""
    name = Path(str(exc.path)).name
    if checkpointed:
        kept = f"the checkpoint of epoch {checkpointed[-1]} is kept; free space and run 'rdfia-tui resume {record.run_dir}'"
    elif name == "checkpoint.pt":
        kept = "no checkpoint was saved; free space and start the run again"
    else:
        held = "no epoch" if record.written_epoch is None else f"epochs 0-{record.written_epoch}"
        kept = f"metrics.csv and summary.json hold {held}; free space and start the run again"
    return f"could not write {name} ({exc.reason}); {kept}"


def eta_seconds(steps_left: int, step_s: float, epochs_left: int, steps: int, evaluation_s: float, epoch_wall_s: float) -> float:
    """Seconds to the end of the run: this epoch's steps at this epoch's pace and its evaluation, then each
    epoch left at the wall time the last whole epoch took (everything counted), or, before one has ended,
    at this pace plus one evaluation."""
    this_epoch = steps_left * step_s + evaluation_s
    per_epoch = epoch_wall_s if epoch_wall_s > 0 else steps * step_s + evaluation_s
    return this_epoch + epochs_left * per_epoch
