"""The engine as the console sees it: an object with ``run`` and ``layer_table``.

The console's own engine is ProcessEngine: each run is a process of its own (engine.live.launch) that the
console follows through its events.jsonl, so the run survives the console and the console's drawing never
competes with training for the interpreter. Tests hand the app a scripted fake with the same methods that
runs in a thread of the console (``detachable`` False); TorchEngine does the same with the real engine.
Neither imports torch into the console before it is needed, so the first frame never waits for it.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from rdfia_tui.engine.config import RunConfig
from rdfia_tui.engine.control import RunControl
from rdfia_tui.engine.events import Emit


class Engine(Protocol):
    def run(
        self, cfg: RunConfig, emit: Emit, control: RunControl, runs_dir: Path, data_root: str | None, resume: Path | None = None
    ) -> Any: ...

    def layer_table(self, cfg: RunConfig, data_root: str | None) -> Any: ...


def detachable(engine: Engine) -> bool:
    """Whether ``engine``'s runs are processes of their own, which go on when the console leaves."""
    return bool(getattr(engine, "detachable", False))


class TorchEngine:
    """The real engine in a thread of the console: ``fit`` and ``model_checks.layer_table``."""

    detachable = False

    def run(
        self, cfg: RunConfig, emit: Emit, control: RunControl, runs_dir: Path, data_root: str | None, resume: Path | None = None
    ) -> Any:
        from rdfia_tui.engine.training import fit

        # console=True: with train.threads = 0, an MLP's Python-bound steps leave the drawing a core
        return fit(cfg, emit, control, runs_dir=runs_dir, data_root=data_root, resume=resume, console=True)

    def layer_table(self, cfg: RunConfig, data_root: str | None) -> Any:
        from rdfia_tui.engine.model_checks import layer_table

        return layer_table(cfg, data_root=data_root)

    def lr_find(self, cfg: RunConfig, sweep: Any, emit: Emit, control: RunControl, runs_dir: Path, data_root: str | None) -> Any:
        """The lr range test (engine.lr_find.find_lr) in the calling thread: a few hundred steps, recorded as a run folder."""
        from rdfia_tui.engine.lr_find import find_lr

        return find_lr(cfg, sweep, emit, control, runs_dir=runs_dir, data_root=data_root)


Command = Callable[[list[str]], list[str]]  # the rdfia-tui arguments -> the command line that runs them


class ProcessEngine(TorchEngine):
    """Each run a child process (``rdfia-tui run`` or ``resume``) in its own session, followed through its events.

    ``command`` turns rdfia-tui's arguments into the child's command line (tests put a torch-free fake there).
    """

    detachable = True

    def __init__(self, command: Command | None = None) -> None:
        from rdfia_tui.engine.live.launch import module_command

        self.command: Command = command or (lambda args: module_command(*args))

    def run(
        self, cfg: RunConfig, emit: Emit, control: RunControl, runs_dir: Path, data_root: str | None, resume: Path | None = None
    ) -> Any:
        """Launch the run, then follow it until it ends or the console detaches (control.detach).

        Raises LaunchError (the child's own reason) when it exits before its run starts.
        """
        from rdfia_tui.engine.live.follow import Followed, follow
        from rdfia_tui.engine.live.launch import Detached, child_arguments, launch

        try:
            with child_arguments(cfg, runs_dir, data_root, resume) as (args, where):
                launched = launch(self.command(args), where, cancel=control.detach)
        except Detached:
            return None
        followed = follow(launched.run_dir, emit, control)
        if followed is not Followed.DETACHED:
            with contextlib.suppress(subprocess.TimeoutExpired):
                launched.process.wait(timeout=30)  # it has written its last event: reap it
        return followed
