"""The training loop: train_one_epoch, evaluate and fit, reporting through typed events."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from rdfia_tui.engine.boundary import decision_grid, plane_extent, sample_points
from rdfia_tui.engine.catalog import LOSSES
from rdfia_tui.engine.config import DataConfig, RunConfig, with_absolute_paths
from rdfia_tui.engine.control import RunControl
from rdfia_tui.engine.data.pipeline import InputPipeline, apply_zca, build_pipeline, fit_zca
from rdfia_tui.engine.data.root import resolve_data_root
from rdfia_tui.engine.data.splits import Split, Splits, load_raw, make_splits, shuffled_indices, steps_per_epoch
from rdfia_tui.engine.data.streaming import batches_of
from rdfia_tui.engine.device import describe_device, resolve_device
from rdfia_tui.engine.eager import restore_dynamo_guards, skip_dynamo_import
from rdfia_tui.engine.errors import DataError, RecordError, RecordWriteError
from rdfia_tui.engine.events import (
    BatchProgress,
    BoundaryUpdated,
    Emit,
    EpochEnded,
    EpochMetrics,
    EvaluationProgress,
    Notice,
    PlanePoints,
    RunFinished,
    RunStarted,
    SamplePredictions,
    ignore,
)
from rdfia_tui.engine.fingerprint import data_fingerprint, fingerprint_difference
from rdfia_tui.engine.layers import describe
from rdfia_tui.engine.memory import check_zca_fits, setting_up
from rdfia_tui.engine.models import build_model
from rdfia_tui.engine.models.manual import HandSGD, ModuleStep, Step, build_step
from rdfia_tui.engine.optimisers import set_lr
from rdfia_tui.engine.runs.checkpoint import load_checkpoint, metrics_from_rows, metrics_rows, restore_rng, rng_states, save_checkpoint
from rdfia_tui.engine.runs.record import RunRecord, resolve_runs_dir
from rdfia_tui.engine.schedules import lr_at
from rdfia_tui.engine.seeding import seed_everything
from rdfia_tui.engine.speed import auto_threads, resolve_speed

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
DTYPES = {"float32": torch.float32, "float64": torch.float64}


@dataclass
class EpochOutcome:
    loss: float = math.nan
    acc: float = math.nan
    seconds: float = 0.0
    images: int = 0
    diverged_step: int | None = None
    stopped: bool = False
    lr_changes: list[tuple[int, float]] = field(default_factory=list)


@dataclass
class RunResult:
    status: str
    run_dir: Path
    message: str = ""
    summary: dict = field(default_factory=dict)


def _wait_while_paused(control: RunControl) -> float:
    """Block while paused; return the seconds spent waiting."""
    if not control.pause.is_set():
        return 0.0
    start = time.perf_counter()
    while control.pause.is_set() and not control.stop.is_set():
        time.sleep(0.02)
    return time.perf_counter() - start


def train_one_epoch(
    model: nn.Module,
    split: Split,
    batch_size: int,
    generator: torch.Generator,
    optimiser: torch.optim.Optimizer | HandSGD,
    step_fn: Step,
    control: RunControl,
    on_progress: Callable[[int, int, list[float], float], None],
    progress_interval: float,
    dtype: torch.dtype = torch.float32,
    pipeline: InputPipeline | None = None,
    min_last: int = 1,
) -> EpochOutcome:
    """One pass over ``split``. Losses stay on the device; they are read once per progress interval.

    ``min_last``: a last batch smaller than this joins the previous one (2 for batch-norm).
    """
    model.train()
    n = len(split)
    steps = steps_per_epoch(n, batch_size, min_last)
    device = split.y.device
    step_losses = torch.zeros(steps, device=device, dtype=dtype)
    step_sizes = torch.zeros(steps, device=device)
    correct = torch.zeros((), dtype=torch.int64, device=device)
    out = EpochOutcome()
    paused = 0.0
    start = last_report = time.perf_counter()
    reported = 0

    def report(step: int) -> bool:
        """Read the losses of steps reported..step; False when one is not finite."""
        nonlocal reported, last_report
        recent = step_losses[reported:step].tolist()
        for offset, value in enumerate(recent):
            if not math.isfinite(value):
                out.diverged_step = reported + offset + 1
                return False
        elapsed = time.perf_counter() - start - paused
        on_progress(step, steps, recent, elapsed)
        reported, last_report = step, time.perf_counter()
        return True

    step = 0
    pipeline = pipeline or InputPipeline(DataConfig(), dtype)
    batches = list(shuffled_indices(split, batch_size, generator, min_last))
    for step, (idx, stored) in enumerate(zip(batches, batches_of(split.x, batches), strict=True), start=1):
        xb, yb = pipeline.train_batch(stored, generator), split.y[idx]
        if control.stop.is_set():
            out.stopped, step = True, step - 1
            break
        paused += _wait_while_paused(control)
        new_lr = control.take_lr()
        if new_lr is not None:
            set_lr(optimiser, new_lr)
            out.lr_changes.append((step, new_lr))
        loss, logits = step_fn(xb, yb)
        step_losses[step - 1] = loss
        step_sizes[step - 1] = len(yb)
        correct += (logits.argmax(dim=1) == yb).sum()
        if time.perf_counter() - last_report >= progress_interval and not report(step):
            break
    if out.diverged_step is None and reported < step:
        report(step)
    out.images = int(step_sizes.sum().item())
    out.seconds = time.perf_counter() - start - paused
    if out.images:
        out.loss = float((step_losses * step_sizes).sum().item()) / out.images
        out.acc = float(correct.item()) / out.images
    return out


@torch.inference_mode()
def evaluate(
    model: nn.Module,
    split: Split,
    loss_fn: LossFn,
    batch_size: int,
    dtype: torch.dtype = torch.float32,
    pipeline: InputPipeline | None = None,
    confusion: torch.Tensor | None = None,
    on_progress: Callable[[int, int, float], None] | None = None,
    progress_interval: float = 0.1,
) -> tuple[float, float]:
    """Mean loss and accuracy over ``split`` in eval mode; NaN for an empty split.

    With ``confusion`` (a K×K int64 tensor), counts true class (row) against prediction (column).
    ``on_progress(done, total, elapsed_s)`` is called at most once per ``progress_interval`` seconds
    (examples counted on the host: no device sync).
    """
    if len(split) == 0:
        return math.nan, math.nan
    pipeline = pipeline or InputPipeline(DataConfig(), dtype)
    model.eval()
    total = torch.zeros((), device=split.y.device, dtype=torch.float64 if dtype == torch.float64 else torch.float32)
    correct = torch.zeros((), dtype=torch.int64, device=split.y.device)
    slices = [slice(start, start + batch_size) for start in range(0, len(split), batch_size)]
    start = last = time.perf_counter()
    for part, stored in zip(slices, batches_of(split.x, slices), strict=True):
        if on_progress is not None and time.perf_counter() - last >= progress_interval:
            last = time.perf_counter()
            on_progress(part.start, len(split), last - start)
        xb, yb = pipeline.eval_batch(stored), split.y[part]
        logits = model(xb)
        total += loss_fn(logits, yb).to(total.dtype) * len(yb)
        predicted = logits.argmax(dim=1)
        correct += (predicted == yb).sum()
        if confusion is not None:
            k = confusion.shape[0]
            confusion += torch.bincount(yb * k + predicted, minlength=k * k).reshape(k, k)
    return total.item() / len(split), correct.item() / len(split)


def fit(
    cfg: RunConfig,
    emit: Emit = ignore,
    control: RunControl | None = None,
    *,
    runs_dir: str | Path | None = None,
    data_root: str | Path | None = None,
    resume: str | Path | None = None,
    console: bool = False,
) -> RunResult:
    """Train ``cfg`` and record the run. User mistakes found before training raise RdfiaError.

    ``console``: the run shares its process with the console, so ``train.threads = 0`` leaves a
    Python-bound MLP one core fewer (speed.auto_threads).

    With ``resume`` (a run folder holding a checkpoint), the run continues in that folder from its
    last checkpointed epoch, with every state restored: the metrics equal an uninterrupted run's.
    """
    control = control or RunControl()
    checkpoint = load_checkpoint(Path(resume)) if resume is not None else None
    cfg = with_absolute_paths(cfg) if checkpoint is None else cfg
    t = cfg.train
    device = resolve_device(t.device)
    generator = seed_everything(t.seed)
    with setting_up("loading the data", device):
        raw = load_raw(cfg.data, resolve_data_root(data_root))
        splits = make_splits(raw, cfg.data, t.seed, device)
    fingerprint = data_fingerprint(splits)
    if checkpoint is not None:
        same_data_or_refuse(checkpoint, fingerprint, Path(resume), cfg)
    if len(splits.train) == 0:
        raise DataError("no training examples left after data.limit_train and data.val_split; raise limit_train or lower val_split")
    dtype = DTYPES[t.dtype]
    if cfg.data.zca:
        check_zca_fits(splits.input_shape, len(splits.train) + len(splits.val) + len(splits.test), device)
        with setting_up("whitening the images (ZCA)", device):
            splits = whiten(splits, cfg.data.zca_eps)
    with setting_up("normalising the data", device):
        pipeline = build_pipeline(cfg.data, splits.train.x, dtype)
    input_shape = model_input_shape(splits.input_shape, pipeline)
    torch.manual_seed(t.seed)  # initial weights do not depend on how the data was loaded
    with setting_up("building the model", device):
        model = build_model(cfg.model, input_shape, splits.n_classes).to(device=device, dtype=dtype)
    table = describe(model, input_shape)
    threads = t.threads or auto_threads(table, t.batch_size, len(splits.train), os.cpu_count() or 1, console)
    torch.set_num_threads(threads)
    speed = resolve_speed(cfg, device, model)
    pipeline.memory_format = speed.memory_format
    net = speed.apply(model, device)  # what trains and predicts; ``model`` keeps the plain layers
    loss_fn: LossFn = LOSSES.get(t.loss)
    if speed.compile_mode is None:
        skip_dynamo_import()
    else:
        restore_dynamo_guards()
    step_fn, optimiser = build_step(cfg.model.impl, net if cfg.model.impl == "module" else model, cfg.optim, t.loss, loss_fn)
    if speed.compile_mode is None and isinstance(step_fn, ModuleStep):
        step_fn.run_eagerly()
    step_fn = speed.wrap_step(step_fn)
    if cfg.optim.max_norm > 0:
        step_fn = MaxNormStep(step_fn, model, cfg.optim.max_norm)
    min_last = 2 if has_batch_norm(model) else 1
    if min_last > len(splits.train):
        raise DataError(
            f"batch-norm needs at least 2 training examples to normalise a batch, but there is {len(splits.train)}; "
            "raise data.limit_train or lower data.val_split, or set model.batch_norm=false"
        )
    steps = steps_per_epoch(len(splits.train), t.batch_size, min_last)

    record_fields = {
        "device": describe_device(device),
        "layers": table.to_dict(),
        "sizes": {"train": len(splits.train), "val": len(splits.val), "test": len(splits.test)},
        "class_names": splits.class_names,
    }
    if checkpoint is None:
        record = RunRecord.create(resolve_runs_dir(runs_dir), cfg, **record_fields)
    else:
        record = RunRecord.reopen(Path(resume), cfg, started=checkpoint["started"], **record_fields)
    record.extra["speed"] = {**speed.to_dict(), "threads": threads}
    record.extra["data"] = raw.report
    record.extra["data_fingerprint"] = fingerprint
    emit(
        RunStarted(
            run_dir=record.run_dir,
            preset=cfg.name,
            config=cfg.to_dict(),
            device=record.device,
            params=table.total_params,
            layers=table.to_dict()["rows"],
            n_train=len(splits.train),
            n_val=len(splits.val),
            n_test=len(splits.test),
            epochs=t.epochs,
            steps_per_epoch=steps,
            class_names=splits.class_names,
            speed=f"{speed.describe()}, {threads} thread{'s' if threads > 1 else ''}",
        )
    )
    plane = splits.input_shape == (2,)
    if plane:
        x_range, y_range = plane_extent(splits.train.x.float())
        points, labels = sample_points(splits.train.x, splits.train.y)
        emit(PlanePoints(tuple(map(tuple, points)), tuple(labels), x_range, y_range))
    notes: list[str] = record.extra.setdefault("notes", [])

    def notify(message: str) -> None:
        """A Notice for the subscribers, kept in summary.json's "notes" too."""
        notes.append(message)
        emit(Notice(message))

    cores = os.cpu_count() or 1
    shared = [f"train.threads {threads} is more than this machine's {cores} cores: the threads will share them"] if threads > cores else []
    for note in (*raw.notes, *speed.notes, *batching_notes(len(splits.train), t.batch_size, min_last), *shared):
        notify(note)

    def close(status: str, message: str = "") -> RunResult:
        summary = record.finish(status, message)
        emit(RunFinished(record.run_dir, status, message, summary))
        return RunResult(status, record.run_dir, message, summary)

    def close_quietly(status: str, message: str) -> RunResult:
        """close() when the disk may refuse the last write too: the previous summary.json then stays."""
        try:
            return close(status, message)
        except RecordWriteError:
            record.status, record.message = status, message
            summary = record.summary()
            emit(RunFinished(record.run_dir, status, message, summary))
            return RunResult(status, record.run_dir, message, summary)

    def diverge(where: Divergence, hint: str) -> RunResult:
        record.extra["diverged_at"] = where.to_dict()
        return close("diverged", f"{where.describe()}; {hint}")

    n_classes = splits.n_classes
    confusions: list[list[list[int]]] = []
    record.extra["test_confusion"] = confusions
    lr_changes: list[dict[str, float]] = []
    record.extra["lr_changes"] = lr_changes
    lr0 = cfg.optim.lr
    # A learning rate set by hand mid-run rescales the schedule from then on.
    lr_scale = 1.0
    start_epoch = 0
    if checkpoint is not None:
        model.load_state_dict(checkpoint["model"])
        optimiser.load_state_dict(checkpoint["optimiser"])
        restore_rng(checkpoint["rng"], generator)
        if checkpoint["rng"].get("device_generator") is not None:
            pipeline.restore_device_generator(device, checkpoint["rng"]["device_generator"])
        start_epoch, lr_scale = checkpoint["epoch"], checkpoint["lr_scale"]
        record.epochs = metrics_from_rows(checkpoint["epochs"])
        confusions.extend(checkpoint["confusions"])
        lr_changes.extend(checkpoint["lr_changes"])
        record.extra["resumed"] = [*checkpoint.get("resumed", []), {"after_epoch": start_epoch, "at": time.time()}]

    checkpointed: list[int] = []  # the epochs whose checkpoint reached the disk

    def save_state(epoch: int) -> None:
        if t.checkpoint != "epoch":
            return
        state = {
            "epoch": epoch,
            "model": model.state_dict(),
            "optimiser": optimiser.state_dict(),
            "rng": rng_states(generator, pipeline.device_generator),
            "lr_scale": lr_scale,
            "epochs": metrics_rows(record.epochs),
            "confusions": confusions,
            "lr_changes": lr_changes,
            "started": record.started,
            "resumed": record.extra.get("resumed", []),
            "data_fingerprint": fingerprint,
        }
        save_checkpoint(record.run_dir, state)
        checkpointed.append(epoch)

    samples = sample_indices(splits.test.y, n_classes) if len(splits.input_shape) == 3 else None

    def evaluation_progress(epoch: int, split: str) -> Callable[[int, int, float], None]:
        return lambda done, total, elapsed: emit(EvaluationProgress(epoch, split, done, total, elapsed))

    evaluation_s = [0.0]  # how long the last validation + test evaluation took (for the ETA)
    epoch_wall_s = [0.0]  # how long the last whole epoch took: steps, evaluation, records, panels

    def measure(epoch: int, train: tuple[float, float], lr: float, seconds: float = 0.0, rate: float = 0.0) -> EpochMetrics:
        every, began = t.progress_interval, time.perf_counter()
        val = evaluate(net, splits.val, loss_fn, t.eval_batch_size, dtype, pipeline, None, evaluation_progress(epoch, "val"), every)
        confusion = torch.zeros(n_classes, n_classes, dtype=torch.int64, device=device)
        test = evaluate(net, splits.test, loss_fn, t.eval_batch_size, dtype, pipeline, confusion, evaluation_progress(epoch, "test"), every)
        confusions.append(confusion.tolist())
        evaluation_s[0] = time.perf_counter() - began
        return EpochMetrics(epoch, *train, *val, *test, lr, seconds, rate)

    def add_epoch(metrics: EpochMetrics) -> None:
        record.epochs.append(metrics)
        matrix = confusions[-1]
        record.extra["per_class_test_acc"] = per_class_accuracy(matrix, splits.class_names)
        record.write()
        emit(EpochEnded(metrics, t.epochs, tuple(map(tuple, matrix))))
        if samples is not None:
            emit(predict_samples(net, splits, samples, pipeline, metrics.epoch))
        if plane:
            grid = decision_grid(model, x_range, y_range, dtype=dtype)
            emit(BoundaryUpdated(metrics.epoch, tuple(map(tuple, grid)), x_range, y_range))

    try:
        if checkpoint is None:
            train_loss, train_acc = evaluate(
                net, splits.train, loss_fn, t.eval_batch_size, dtype, pipeline, None, evaluation_progress(0, "train"), t.progress_interval
            )
            metrics = measure(0, (train_loss, train_acc), lr_at(cfg.schedule, lr0, 0))
            found = non_finite_loss(metrics, splits)
            if found:
                return diverge(
                    Divergence(0, 0, found),
                    f"the {found} of the initial weights is non-finite, before any step; "
                    "the inputs are probably too large: try --set data.normalize=standard",
                )
            add_epoch(metrics)
            save_state(0)
        else:
            record.write()
            notify(f"resumed after epoch {start_epoch} from {record.run_dir / 'checkpoint.pt'}")
            for metrics, matrix in zip(record.epochs, confusions, strict=False):  # the history, for charts
                emit(EpochEnded(metrics, t.epochs, tuple(map(tuple, matrix))))
        for epoch in range(start_epoch + 1, t.epochs + 1):
            lr = lr_at(cfg.schedule, lr0, epoch - 1) * lr_scale
            set_lr(optimiser, lr)

            def on_progress(step: int, steps: int, losses: list[float], elapsed: float, epoch: int = epoch) -> None:
                seen = min(step * (t.batch_size or len(splits.train)), len(splits.train))
                rate = seen / elapsed if elapsed > 0 else 0.0
                remaining = eta_seconds(steps - step, elapsed / step, t.epochs - epoch, steps, evaluation_s[0], epoch_wall_s[0])
                loss = sum(losses) / len(losses) if losses else math.nan
                emit(BatchProgress(epoch, step, steps, loss, rate, remaining, tuple(losses)))

            epoch_began = time.perf_counter()
            outcome = train_one_epoch(
                net,
                splits.train,
                t.batch_size,
                generator,
                optimiser,
                step_fn,
                control,
                on_progress,
                t.progress_interval,
                dtype,
                pipeline,
                min_last,
            )
            paused_s = time.perf_counter() - epoch_began - outcome.seconds  # a pause is no part of an epoch's cost
            for step, new_lr in outcome.lr_changes:
                lr_changes.append({"epoch": epoch, "step": step, "lr": new_lr})
                notify(f"learning rate set to {new_lr:g} at epoch {epoch}, step {step}")
            if outcome.lr_changes:
                lr_scale = outcome.lr_changes[-1][1] / lr_at(cfg.schedule, lr0, epoch - 1)
            lr_used = optimiser.param_groups[0]["lr"]
            if outcome.diverged_step is not None:
                return diverge(Divergence(epoch, outcome.diverged_step, "training loss"), lower_lr_hint(lr_used))
            if outcome.stopped:
                return close("stopped", f"stopped by request during epoch {epoch}; epochs 0-{epoch - 1} are recorded")
            last_step = steps
            if not weights_finite(model):  # the epoch's last update: no later loss could show it
                return diverge(Divergence(epoch, last_step, "weights"), lower_lr_hint(lr_used))
            rate = outcome.images / outcome.seconds if outcome.seconds > 0 else 0.0
            metrics = measure(epoch, (outcome.loss, outcome.acc), lr_used, outcome.seconds, rate)
            found = non_finite_loss(metrics, splits)
            if found:
                return diverge(Divergence(epoch, last_step, found), lower_lr_hint(lr_used))
            add_epoch(metrics)
            save_state(epoch)
            epoch_wall_s[0] = time.perf_counter() - epoch_began - paused_s
            if control.stop.is_set() and epoch < t.epochs:
                return close("stopped", f"stopped by request after epoch {epoch}")
        return close("completed")
    except RecordWriteError as exc:
        return close_quietly("failed", write_failure(exc, record, checkpointed))
    except torch.OutOfMemoryError:
        return close(
            "failed",
            f"out of memory on {record.device} with train.batch_size {t.batch_size}; "
            f"try a smaller batch, e.g. --set train.batch_size={max(1, t.batch_size // 2)}",
        )
    except KeyboardInterrupt:
        close("stopped", "interrupted; the completed epochs are recorded")
        raise
    except BaseException as exc:
        close("failed", f"{type(exc).__name__}: {exc}")
        raise


@dataclass(frozen=True)
class Divergence:
    """Where a run stopped being finite: ``found_in`` is "training loss", "weights", or a split's loss."""

    epoch: int
    step: int
    found_in: str

    def describe(self) -> str:
        if self.found_in == "training loss":
            return f"the loss became non-finite at epoch {self.epoch}, step {self.step}"
        if self.found_in == "weights":
            return f"the weights became non-finite at epoch {self.epoch}, step {self.step} (the epoch's last step)"
        return f"the {self.found_in} became non-finite after epoch {self.epoch} (last step {self.step}), though training steps were finite"

    def to_dict(self) -> dict[str, object]:
        return {"epoch": self.epoch, "step": self.step, "found_in": self.found_in}


def same_data_or_refuse(checkpoint: dict, fingerprint: dict, run_dir: Path, cfg: RunConfig) -> None:
    """Raise RecordError when a resumed run would train on other data than its checkpoint's."""
    before = checkpoint.get("data_fingerprint")
    if before is None:
        return  # written before fingerprints existed: nothing to compare with
    difference = fingerprint_difference(before, fingerprint)
    if difference:
        where = f", data.path {cfg.data.path}" if cfg.data.path else ""
        raise RecordError(f"cannot resume {run_dir}: its data changed since it started ({difference}{where}); resume it on the same data")


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


def lower_lr_hint(lr: float) -> str:
    return f"lr was {lr:g}: try a lower learning rate, e.g. --set optim.lr={lr / 10:g}"


def batching_notes(n: int, batch_size: int, min_last: int) -> list[str]:
    """What the batching does that the user did not write: a full batch forced, or a last batch merged."""
    if batch_size > n:
        return [f"train.batch_size {batch_size} is larger than the {n} training examples: each epoch is one full batch"]
    if batch_size and min_last > 1 and n > batch_size and 0 < n % batch_size < min_last:
        steps = steps_per_epoch(n, batch_size, min_last)
        return [
            f"the last batch of each epoch would hold {n % batch_size} example, which batch-norm cannot normalise in training: "
            f"it joins the previous batch ({steps} step{'s' if steps > 1 else ''}, the last of {batch_size + n % batch_size} examples)"
        ]
    return []


def has_batch_norm(model: nn.Module) -> bool:
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())


def weights_finite(model: nn.Module) -> bool:
    """Every floating parameter and buffer (batch-norm statistics too) finite: one device sync."""
    tensors = [t for t in (*model.parameters(), *model.buffers()) if t.is_floating_point()]
    return bool(torch.stack([t.isfinite().all() for t in tensors]).all()) if tensors else True


def non_finite_loss(metrics: EpochMetrics, splits: Splits) -> str | None:
    """The first non-finite loss of a non-empty split ("training loss", "validation loss", "test loss"), or None."""
    for name, loss, split in (
        ("training loss", metrics.train_loss, splits.train),
        ("validation loss", metrics.val_loss, splits.val),
        ("test loss", metrics.test_loss, splits.test),
    ):
        if len(split) and not math.isfinite(loss):
            return name
    return None


def whiten(splits: Splits, eps: float) -> Splits:
    """ZCA fitted on the training split, applied to every split once (Q21)."""
    mean, w = fit_zca(splits.train.x, eps)
    return Splits(
        train=Split(apply_zca(splits.train.x, mean, w), splits.train.y),
        val=Split(apply_zca(splits.val.x, mean, w), splits.val.y),
        test=Split(apply_zca(splits.test.x, mean, w), splits.test.y),
        input_shape=splits.input_shape,
        class_names=splits.class_names,
    )


def model_input_shape(shape: tuple[int, ...], pipeline: InputPipeline) -> tuple[int, ...]:
    """What the model sees: a random crop shrinks the images (evaluation crops the centre to match)."""
    if pipeline.crop_size and len(shape) == 3:
        return (shape[0], pipeline.crop_size, pipeline.crop_size)
    return shape


class MaxNormStep:
    """After each step, rescale every unit's incoming weight vector to an L2 norm of at most ``limit`` (Q32)."""

    def __init__(self, step: Step, model: nn.Module, limit: float) -> None:
        self.step, self.limit = step, limit
        self.weights = [m.weight for m in model.modules() if isinstance(m, nn.Linear | nn.Conv2d)]

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.step(x, y)
        with torch.no_grad():
            for w in self.weights:
                w.copy_(torch.renorm(w, p=2, dim=0, maxnorm=self.limit))
        return out


def per_class_accuracy(confusion: list[list[int]], class_names: tuple[str, ...]) -> dict[str, float | None]:
    """Diagonal over row sum for each class; None for a class with no test example."""
    return {name: (row[i] / sum(row) if sum(row) else None) for i, (name, row) in enumerate(zip(class_names, confusion, strict=False))}


SAMPLES_PER_CLASS = 1
MAX_SAMPLES = 10


def sample_indices(labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    """The first test example of each class (at most MAX_SAMPLES): the same images every epoch."""
    picked = []
    for k in range(min(n_classes, MAX_SAMPLES)):
        hits = (labels == k).nonzero()
        if len(hits):
            picked.append(int(hits[0]))
    return torch.tensor(picked, dtype=torch.long, device=labels.device)


@torch.inference_mode()
def predict_samples(model: nn.Module, splits: Splits, idx: torch.Tensor, pipeline: InputPipeline, epoch: int) -> SamplePredictions:
    was_training = model.training
    model.eval()
    x = splits.test.x[idx]
    predicted = model(pipeline.eval_batch(x)).argmax(dim=1).tolist()
    model.train(was_training)
    if x.dtype != torch.uint8:  # whitened or float images: stretch each to 0-255 for display
        low = x.amin(dim=(1, 2, 3), keepdim=True)
        high = x.amax(dim=(1, 2, 3), keepdim=True)
        x = ((x - low) / (high - low).clamp_min(1e-8) * 255).round().to(torch.uint8)
    images = tuple(tuple(tuple(tuple(row) for row in channel) for channel in image) for image in x.cpu().tolist())
    return SamplePredictions(epoch, images, tuple(splits.test.y[idx].tolist()), tuple(predicted), splits.class_names)
