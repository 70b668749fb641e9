"""Evaluation: the loss and accuracy of a split, one epoch's measurements (validation, test, confusion),
per-class accuracy and the fixed sample predictions the console shows.

Accuracies are fractions in 0-1; losses are means over the split's examples.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from rdfia_tui.engine.config import DataConfig
from rdfia_tui.engine.data.pipeline import InputPipeline
from rdfia_tui.engine.data.splits import Split, Splits
from rdfia_tui.engine.data.streaming import batches_of
from rdfia_tui.engine.distributed import ONE_PROCESS, World
from rdfia_tui.engine.events import Emit, EpochMetrics, EvaluationProgress, SamplePredictions

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
# train.eval_batch_size = 0: on a CPU, inference runs fastest at 64-256 images a batch and 2.2× slower at 1,000, which
# leave its caches (benchmarks/exact_speedups.py, docs/benchmarks.md); a GPU wants large batches.
AUTO_EVAL_BATCH = {"cpu": 128}
AUTO_EVAL_BATCH_ELSEWHERE = 1024
SAMPLES_PER_CLASS = 1
MAX_SAMPLES = 10


def eval_batch_size(configured: int, device: torch.device) -> int:
    """``train.eval_batch_size``, or for 0 the automatic size of ``device``'s type (AUTO_EVAL_BATCH)."""
    return configured or AUTO_EVAL_BATCH.get(device.type, AUTO_EVAL_BATCH_ELSEWHERE)


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
    """Mean loss and accuracy (0-1) over ``split`` in eval mode; NaN for an empty split.

    ``split.x`` holds the stored inputs ((N, C, H, W) or (N, D)), ``split.y`` the labels (N,); each batch of
    ``batch_size`` goes through ``pipeline.eval_batch`` to logits (B, K). The loss is each batch's mean loss
    weighted by its size, over N. Raises nothing of its own.
    With ``confusion`` (a K×K int64 tensor), counts true class (row) against prediction (column).
    ``on_progress(done, total, elapsed_s)`` is called at most once per ``progress_interval`` seconds
    (examples counted on the host: no device sync).
    """
    if len(split) == 0:
        return math.nan, math.nan
    sums = evaluate_sums(model, split, range(len(split)), loss_fn, batch_size, dtype, pipeline, confusion, on_progress, progress_interval)
    return sums[0].item() / len(split), sums[1].item() / len(split)


@torch.inference_mode()
def evaluate_sums(
    model: nn.Module,
    split: Split,
    rows: range,
    loss_fn: LossFn,
    batch_size: int,
    dtype: torch.dtype = torch.float32,
    pipeline: InputPipeline | None = None,
    confusion: torch.Tensor | None = None,
    on_progress: Callable[[int, int, float], None] | None = None,
    progress_interval: float = 0.1,
) -> torch.Tensor:
    """(summed loss, correct predictions) over the examples ``rows`` of ``split``, as a float64 tensor (2,) on its device.

    What :func:`evaluate` divides by N; a rank of a distributed run sums its own rows, and the ranks' sums are added.
    """
    pipeline = pipeline or InputPipeline(DataConfig(), dtype)
    model.eval()
    total = torch.zeros((), device=split.y.device, dtype=torch.float64 if dtype == torch.float64 else torch.float32)
    correct = torch.zeros((), dtype=torch.int64, device=split.y.device)
    slices = [slice(start, min(start + batch_size, rows.stop)) for start in range(rows.start, rows.stop, batch_size)]
    start = last = time.perf_counter()
    for part, stored in zip(slices, batches_of(split.x, slices), strict=True):
        if on_progress is not None and time.perf_counter() - last >= progress_interval:
            last = time.perf_counter()
            on_progress(part.start - rows.start, len(rows), last - start)
        xb, yb = pipeline.eval_batch(stored), split.y[part]
        logits = model(xb)
        total += loss_fn(logits, yb).to(total.dtype) * len(yb)
        predicted = logits.argmax(dim=1)
        correct += (predicted == yb).sum()
        if confusion is not None:
            k = confusion.shape[0]
            confusion += torch.bincount(yb * k + predicted, minlength=k * k).reshape(k, k)
    return torch.stack([total.to(torch.float64), correct.to(torch.float64)])


@dataclass
class EpochEvaluator:
    """Measures each epoch the same way: validation, then test with its confusion matrix.

    ``confusions`` holds one K×K matrix (true class × prediction) per measured epoch, in order;
    ``seconds`` is how long the last measurement took (the ETA counts it).
    """

    net: nn.Module
    splits: Splits
    loss_fn: LossFn
    batch_size: int
    dtype: torch.dtype
    pipeline: InputPipeline
    emit: Emit
    progress_interval: float = 0.1
    confusions: list[list[list[int]]] = field(default_factory=list)
    seconds: float = 0.0
    world: World = ONE_PROCESS

    def progress(self, epoch: int, split: str) -> Callable[[int, int, float], None]:
        """An ``on_progress(done, total, elapsed_s)`` that emits EvaluationProgress for ``split`` of ``epoch``."""
        return lambda done, total, elapsed: self.emit(EvaluationProgress(epoch, split, done, total, elapsed))

    def split(self, epoch: int, name: str, split: Split, confusion: torch.Tensor | None = None) -> tuple[float, float]:
        """Loss and accuracy of one split, reporting progress as ``name``; in a distributed run each rank measures
        its share of the examples and the sums (and ``confusion``) are added over the ranks."""
        if len(split) == 0:
            return math.nan, math.nan
        progress, every, world = self.progress(epoch, name), self.progress_interval, self.world
        rows = world.rows(len(split))  # every row for one process
        sums = evaluate_sums(self.net, split, rows, self.loss_fn, self.batch_size, self.dtype, self.pipeline, confusion, progress, every)
        if world.distributed:
            world.all_reduce(sums)
            if confusion is not None:
                world.all_reduce(confusion)
        loss, correct = sums.tolist()
        return loss / len(split), correct / len(split)

    def measure(self, epoch: int, train: tuple[float, float], lr: float, seconds: float = 0.0, rate: float = 0.0) -> EpochMetrics:
        """The epoch's metrics: ``train`` (loss, accuracy) as measured while training, val and test now.
        ``lr`` per step, ``seconds`` of training, ``rate`` in images per second."""
        began = time.perf_counter()
        self.world.same_buffers(self.net)  # rank 0's batch-norm statistics on every rank
        val = self.split(epoch, "val", self.splits.val)
        k = self.splits.n_classes
        confusion = torch.zeros(k, k, dtype=torch.int64, device=self.splits.test.y.device)
        test = self.split(epoch, "test", self.splits.test, confusion)
        self.confusions.append(confusion.tolist())
        self.seconds = time.perf_counter() - began
        return EpochMetrics(epoch, *train, *val, *test, lr, seconds, rate)

    def measure_initial(self, lr: float) -> EpochMetrics:
        """Epoch 0: the initial weights, the training split evaluated as the others are."""
        return self.measure(0, self.split(0, "train", self.splits.train), lr)


def per_class_accuracy(confusion: list[list[int]], class_names: tuple[str, ...]) -> dict[str, float | None]:
    """Diagonal over row sum for each class (a fraction 0-1); None for a class with no test example."""
    return {name: (row[i] / sum(row) if sum(row) else None) for i, (name, row) in enumerate(zip(class_names, confusion, strict=False))}



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
    """The model's predictions for the test images ``idx``, with the images as 0-255 C×H×W for display."""
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
