"""One run on several processes: the world a process trains in, and what its ranks must agree on.

A run started by ``torchrun`` (or by ``train.nproc`` > 1, which starts torchrun itself) trains with
torch.nn.parallel.DistributedDataParallel. ``World`` is this process's place in it: rank, world size,
backend and device. A one-process run has the trivial world (rank 0 of 1), whose collectives do nothing,
so the training loop reads the same either way.

What the ranks agree on, and how (the design the training loop relies on):
- **The examples of a step.** Every rank draws the same seeded per-epoch permutation; each takes its share
  of each global batch (``World.share``: ``train.batch_size`` stays the global batch). The loss a rank
  back-propagates is its mean loss × (its share / the global batch) × world size, so DDP's average of the
  ranks' gradients is the gradient of the mean loss over the whole global batch: that of a one-process run.
- **Randomness that must differ.** Augmentation and dropout draw per rank, from generators reseeded at
  each epoch from (seed, rank, epoch) (``epoch_seed``): exact resume needs no per-rank RNG state.
- **Steering.** Rank 0 alone takes commands (pause, stop, set-lr); before each step it broadcasts what it
  decided (``Steering``), so every rank stops, waits or changes its learning rate at the same step.
  While paused, rank 0 keeps broadcasting, so no collective waits longer than its timeout.
- **Metrics.** Step losses, accuracies, evaluation sums and confusion matrices are summed over ranks
  (``World.all_reduce``): every rank sees the same numbers and takes the same stop decisions.
  Rank 0 alone writes the records, the event stream and the checkpoint.
"""

from __future__ import annotations

import contextlib
import datetime
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

from rdfia_tui.engine.control import RunControl
from rdfia_tui.engine.errors import ConfigError, DeviceError, RdfiaError

BACKENDS = ("auto", "gloo", "nccl")
TIMEOUT_ENV = "RDFIA_TUI_DIST_TIMEOUT"  # seconds a collective (and the rendezvous) may wait; default 1800, torch's


class RendezvousError(RdfiaError):
    """The other processes of a distributed run could not be reached in time."""

    exit_code = 2


@dataclass(frozen=True)
class World:
    """This process's place in the run: ``rank`` of ``world_size`` (``local_rank`` on its machine), the
    process-group ``backend`` (None for one process) and the training ``device``."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    backend: str | None = None
    local_world_size: int = 1  # processes on this machine (they share its cores)

    @property
    def distributed(self) -> bool:
        """Whether there is more than one process."""
        return self.world_size > 1

    @property
    def main(self) -> bool:
        """Rank 0: the process that writes the records and takes commands."""
        return self.rank == 0

    def rows(self, n: int) -> range:
        """This rank's part of ``n`` examples: a contiguous range; the first n mod world_size ranks hold one more
        (torch.tensor_split's cut)."""
        size, extra = divmod(n, self.world_size)
        start = self.rank * size + min(self.rank, extra)
        return range(start, start + size + (self.rank < extra))

    def share(self, idx: torch.Tensor) -> torch.Tensor:
        """This rank's part of a global batch's indices (B,) (``rows``)."""
        if not self.distributed:
            return idx
        part = self.rows(len(idx))
        return idx[part.start : part.stop]

    def all_reduce(self, tensor: torch.Tensor) -> torch.Tensor:
        """Sum ``tensor`` over the ranks, in place, and return it (nothing to do for one process)."""
        if self.distributed:
            import torch.distributed as dist

            dist.all_reduce(tensor)
        return tensor

    def broadcast(self, tensor: torch.Tensor) -> torch.Tensor:
        """Rank 0's ``tensor`` on every rank, in place."""
        if self.distributed:
            import torch.distributed as dist

            dist.broadcast(tensor, 0)
        return tensor

    def agreed(self, flag: bool) -> bool:
        """Rank 0's ``flag`` on every rank (a stop asked between steps ends every rank after the same epoch)."""
        if not self.distributed:
            return flag
        device = torch.device("cuda", self.local_rank) if self.backend == "nccl" else torch.device("cpu")
        return bool(self.broadcast(torch.tensor([float(flag)], device=device)).item())

    def broadcast_text(self, text: str) -> str:
        """Rank 0's ``text`` (a run folder, an error line) on every rank."""
        if not self.distributed:
            return text
        import torch.distributed as dist

        box = [text]
        dist.broadcast_object_list(box, 0)
        return str(box[0])

    def same_buffers(self, model: torch.nn.Module) -> None:
        """Give every rank rank 0's buffers (batch-norm running statistics), which each rank updated with its own
        share of the last steps: evaluation and checkpoints then use one model."""
        for buffer in model.buffers():
            self.broadcast(buffer.data)

    def device_for(self, device: torch.device) -> torch.device:
        """``cuda:LOCAL_RANK`` for a distributed CUDA run; otherwise ``device``."""
        return torch.device("cuda", self.local_rank) if self.distributed and device.type == "cuda" else device

    def epoch_seed(self, seed: int, epoch: int) -> int:
        """The seed of this rank's augmentation and dropout in ``epoch`` (a different stream per rank and epoch)."""
        return (seed * 1_000_003 + self.rank * 7919 + epoch) % 2**62

    def epoch_generator(self, seed: int, epoch: int, device: torch.device) -> torch.Generator | None:
        """In a distributed run, reseed torch's global RNG (dropout) and return this rank's augmentation generator
        for ``epoch``; None for one process, whose single generator carries on from epoch to epoch."""
        if not self.distributed:
            return None
        seed = self.epoch_seed(seed, epoch)
        torch.manual_seed(seed)
        return torch.Generator(device=device).manual_seed(seed)

    def describe(self) -> dict[str, int | str | None]:
        """summary.json's ``world``: world size and backend (None for one process)."""
        return {"world_size": self.world_size, "backend": self.backend}

    def close(self, *, wait_for_all: bool = True) -> None:
        """Leave the process group once training is over. ``wait_for_all``: first wait until every rank is done, so
        none tears the group down while another still uses it (not after an error: the others may never come)."""
        if self.distributed:
            import torch.distributed as dist

            if dist.is_initialized():
                if wait_for_all:
                    with contextlib.suppress(RuntimeError):  # a rank already gone (killed): nothing left to wait for
                        dist.barrier()
                dist.destroy_process_group()


ONE_PROCESS = World()


class ShareWeightedLoss:
    """A rank's training loss: the mean loss of its share × (share / global batch) × world size.

    DDP averages the ranks' gradients, so the update is that of the global batch's mean loss even when the
    shares differ in size (a batch that does not divide by the world size). The weight is a 0-d tensor filled
    in place, so a compiled step is not recompiled for each value.
    """

    def __init__(self, loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], device: torch.device) -> None:
        self.loss_fn, self.weight = loss_fn, torch.ones((), dtype=torch.float64, device=device)

    def weigh(self, share: int, batch: int, world_size: int) -> None:
        """Set the weight for the next step: ``share`` of this rank's examples in a global ``batch``."""
        self.weight.fill_(share * world_size / batch)

    def __call__(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self.loss_fn(logits, target) * self.weight.to(logits.dtype)


def launched_by_torchrun(environ: os._Environ[str] | dict[str, str] = os.environ) -> bool:
    """Whether this process is a rank started by torchrun (it sets WORLD_SIZE, RANK and LOCAL_RANK)."""
    return "WORLD_SIZE" in environ and "RANK" in environ


def choose_backend(asked: str, device: torch.device) -> str:
    """gloo on the CPU and nccl on CUDA for ``auto``; an explicit backend must suit the device (DeviceError)."""
    if asked == "auto":
        return "nccl" if device.type == "cuda" else "gloo"
    if asked == "nccl" and device.type != "cuda":
        raise DeviceError(f"train.backend: nccl needs CUDA GPUs, but this run trains on {device}; use train.backend=gloo or auto")
    return asked


def rank_device(device: torch.device, local_rank: int, nproc_per_node: int) -> torch.device:
    """``cuda:LOCAL_RANK`` for a CUDA run (DeviceError when this machine has fewer GPUs than processes); else ``device``."""
    if device.type != "cuda":
        return device
    count = torch.cuda.device_count()
    if nproc_per_node > count:
        raise DeviceError(
            f"train.nproc: {nproc_per_node} processes on this machine, but it has {count} CUDA GPU(s); "
            f"use --set train.nproc={max(count, 1)} or train on the CPU"
        )
    return torch.device("cuda", local_rank)


def timeout_s() -> float:
    """Seconds a collective or the rendezvous may wait (RDFIA_TUI_DIST_TIMEOUT, else 1800)."""
    raw = os.environ.get(TIMEOUT_ENV, "")
    try:
        value = float(raw) if raw else 1800.0
    except ValueError:
        raise ConfigError(f"{TIMEOUT_ENV}: got {raw!r}; give seconds, e.g. {TIMEOUT_ENV}=600") from None
    if not (math.isfinite(value) and value > 0):
        raise ConfigError(f"{TIMEOUT_ENV}: got {raw!r}; give seconds above 0")
    return value


def join_world(backend: str, device: torch.device, environ: os._Environ[str] | dict[str, str] = os.environ) -> tuple[World, torch.device]:
    """Join the process group torchrun set up (its MASTER_ADDR/PORT, RANK, WORLD_SIZE): this rank's World and device.

    Raises DeviceError (nccl on a CPU run, fewer GPUs than processes) and RendezvousError (the group did not form
    within ``timeout_s`` seconds).
    """
    import torch.distributed as dist

    rank, world_size = int(environ["RANK"]), int(environ["WORLD_SIZE"])
    local_rank = int(environ.get("LOCAL_RANK", "0"))
    chosen = choose_backend(backend, device)
    device = rank_device(device, local_rank, int(environ.get("LOCAL_WORLD_SIZE", str(world_size))))  # DeviceError first: no wait
    if device.type == "cuda":
        torch.cuda.set_device(device)
    seconds = timeout_s()
    try:
        with native_stderr_held():
            cuda = device if device.type == "cuda" else None
            dist.init_process_group(chosen, timeout=datetime.timedelta(seconds=seconds), device_id=cuda)
    except Exception as exc:  # the store or the peers are out of reach: one line, not a hang
        where = f"{environ.get('MASTER_ADDR', '?')}:{environ.get('MASTER_PORT', '?')}"
        raise RendezvousError(
            f"rank {rank} of {world_size} could not join the run at {where} within {seconds:g} s ({type(exc).__name__}); "
            f"check that every node started torchrun with the same --rdzv-endpoint, and raise {TIMEOUT_ENV} for a slow start"
        ) from None
    local_world_size = int(environ.get("LOCAL_WORLD_SIZE", str(world_size)))
    return World(rank, world_size, local_rank, chosen, local_world_size), device


@contextlib.contextmanager
def native_stderr_held() -> Iterator[None]:
    """Hold what C++ code writes to file descriptor 2 inside (c10d prints each connection retry with its stack frames):
    it is written out afterwards, unless the block raised, whose one line then says what happened."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            raise
        else:
            os.dup2(saved, 2)
            held.seek(0)
            os.write(2, held.read())
        finally:
            os.close(saved)


class Steering:
    """Before each step, every rank learns what rank 0 decided: stop, the learning rate set by hand, whether to
    report progress. A one-process run reads its RunControl directly."""

    def __init__(self, world: World, control: RunControl, device: torch.device) -> None:
        self.world, self.control = world, control
        self.box = torch.zeros(4, dtype=torch.float64, device=device if world.backend == "nccl" else torch.device("cpu"))

    def before_step(self, report_due: bool) -> tuple[bool, float | None, bool, float]:
        """(stop, new lr or None, report after this step, seconds spent paused)."""
        if not self.world.distributed:
            stop = self.control.stop.is_set()  # read before a pause: a stop asked while paused ends the run after one more step
            paused = wait_while_paused(self.control)
            return stop, self.control.take_lr(), report_due, paused
        began, waited = time.perf_counter(), False
        while True:
            stop, pause, lr, report = self._agree(report_due)
            if stop or not pause:
                return stop, lr, report, time.perf_counter() - began if waited else 0.0
            waited = True
            time.sleep(0.05)  # paused: rank 0 keeps broadcasting, so no rank waits past a collective's timeout

    def _agree(self, report_due: bool) -> tuple[bool, bool, float | None, bool]:
        box, control = self.box, self.control
        if self.world.main:
            lr = None if control.pause.is_set() else control.take_lr()  # kept until the pause ends
            values = (control.stop.is_set(), control.pause.is_set(), math.nan if lr is None else lr, report_due)
            box.copy_(torch.tensor([float(v) for v in values], dtype=torch.float64))
        self.world.broadcast(box)
        stop, pause, lr_value, report = box.tolist()
        if not self.world.main and stop:
            control.stop.set()
        return bool(stop), bool(pause), None if math.isnan(lr_value) else lr_value, bool(report)


def wait_while_paused(control: RunControl) -> float:
    """Block while paused; return the seconds spent waiting."""
    if not control.pause.is_set():
        return 0.0
    start = time.perf_counter()
    while control.pause.is_set() and not control.stop.is_set():
        time.sleep(0.02)
    return time.perf_counter() - start
