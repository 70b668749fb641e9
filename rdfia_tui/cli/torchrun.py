"""``train.nproc`` > 1: the command starts its run through torchrun, and each rank joins the process group.

``rdfia-tui run PRESET --set train.nproc=N`` (and the console's ``s``, and ``resume`` of such a run) runs
``python -m torch.distributed.run --standalone --nproc-per-node N -m rdfia_tui run …``: torchrun starts the
N ranks on this machine; each rank sees torchrun's environment and trains its share (engine.distributed).
Several machines: start torchrun yourself on each, with its own --nnodes and --rdzv-* flags (README).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from rdfia_tui.engine.config import RunConfig
from rdfia_tui.engine.device import resolve_device
from rdfia_tui.engine.distributed import ONE_PROCESS, World, choose_backend, join_world, launched_by_torchrun, rank_device
from rdfia_tui.engine.errors import DeviceError
from rdfia_tui.engine.live.launch import child_arguments
from rdfia_tui.engine.runs.record import resolve_runs_dir

EXIT_ENV = "RDFIA_TUI_EXIT_FILE"  # where rank 0 leaves the run's exit status for the command that started torchrun


def needs_torchrun(cfg: RunConfig) -> bool:
    """Whether this command must start torchrun: ``train.nproc`` > 1 and this process is not one of its ranks."""
    return cfg.train.nproc > 1 and not launched_by_torchrun()


def check_before_launch(cfg: RunConfig, resume: str | None = None) -> None:
    """The mistakes every rank would find, found once before torchrun starts N processes to say them N times:
    DeviceError for more processes than GPUs on a CUDA run, nccl on a CPU run, or more processes than cores on a
    CPU run; RecordError for a resume on another number of processes than the run trained on."""
    if resume is not None:
        from rdfia_tui.engine.runs.summary import read_summary
        from rdfia_tui.engine.training import same_world_or_refuse

        world = read_summary(Path(resume)).get("world") or {}
        same_world_or_refuse(Path(resume), int(world.get("world_size", 1)), cfg.train.nproc)
    device = resolve_device(cfg.train.device)
    choose_backend(cfg.train.backend, device)
    rank_device(device, 0, cfg.train.nproc)
    cores = os.cpu_count() or 1
    if device.type == "cpu" and cfg.train.nproc > cores:
        raise DeviceError(
            f"train.nproc: {cfg.train.nproc} processes on a CPU run, but this machine has {cores} cores; "
            f"use --set train.nproc={cores} or fewer"
        )


def torchrun_command(nproc: int, arguments: list[str]) -> list[str]:
    """torchrun on this machine with ``nproc`` ranks, each running ``rdfia_tui`` with ``arguments``."""
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}", "-m", "rdfia_tui", *arguments]


def run_through_torchrun(cfg: RunConfig, args: argparse.Namespace, resume: str | None = None) -> int:
    """Train ``cfg`` (or resume ``resume``) on ``train.nproc`` processes. The command's exit status is the run's, as
    rank 0 reports it through EXIT_ENV (its ranks exit 0, so torchrun does not report a stopped run as a failure);
    torchrun's own status when no rank got that far."""
    check_before_launch(cfg, resume)
    runs_dir = resolve_runs_dir(getattr(args, "runs_dir", None))
    overrides = [part for item in args.overrides for part in ("--set", item)] if resume else []
    with (
        child_arguments(cfg, runs_dir, args.data_root, Path(resume) if resume else None) as (arguments, _),
        tempfile.TemporaryDirectory(prefix="rdfia-tui-torchrun-") as scratch,
    ):
        exit_file = Path(scratch) / "exit"
        command = torchrun_command(cfg.train.nproc, [*arguments, *overrides])
        threads = str(max(1, (os.cpu_count() or 1) // cfg.train.nproc))  # the ranks share the cores (torchrun would say 1, loudly)
        env = {"OMP_NUM_THREADS": threads, **os.environ, EXIT_ENV: str(exit_file)}
        process = subprocess.Popen(command, env=env, start_new_session=True)
        with _forwarding_signals(process):
            code = process.wait()
        reported = exit_file.read_text(encoding="utf-8").strip() if exit_file.is_file() else ""
        return int(reported) if reported.isdigit() else code


def report_exit(world: World, code: int) -> int:
    """A rank's exit status: under this module's torchrun, rank 0 writes the run's status to EXIT_ENV and every rank
    exits 0; under a torchrun the user started, the run's status itself."""
    target = os.environ.get(EXIT_ENV)
    if not target or not world.distributed:
        return code
    if world.main:
        Path(target).write_text(f"{code}\n", encoding="utf-8")
    return 0


@contextlib.contextmanager
def _forwarding_signals(process: subprocess.Popen) -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP sent to this command reach the ranks, which stop after the current step as a
    one-process run does (rank 0 tells the others). torchrun runs in a session of its own and is not signalled:
    it would pass the signal on again (a second Ctrl-C, which quits at once) and print its own report."""
    kinds = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def forward(signum: int, frame: object) -> None:
        for pid in ranks_of(process.pid) or [process.pid]:  # before the ranks exist: torchrun, which passes it on
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    previous = {kind: signal.signal(kind, forward) for kind in kinds}
    try:
        yield
    finally:
        for kind, handler in previous.items():
            signal.signal(kind, handler)


def ranks_of(launcher: int) -> list[int]:
    """The processes torchrun (pid ``launcher``) started, from /proc; empty where /proc does not list children."""
    try:
        return [int(pid) for pid in Path(f"/proc/{launcher}/task/{launcher}/children").read_text().split()]
    except (OSError, ValueError):
        return []


@contextlib.contextmanager
def joined(cfg: RunConfig) -> Iterator[World]:
    """This process's World: a rank of torchrun's group when torchrun started it, else the one-process world.
    Raises DeviceError and RendezvousError (engine.distributed.join_world)."""
    if not launched_by_torchrun():
        yield ONE_PROCESS
        return
    world, _ = join_world(cfg.train.backend, resolve_device(cfg.train.device))
    try:
        yield world
    except BaseException:
        world.close(wait_for_all=False)
        raise
    world.close()
