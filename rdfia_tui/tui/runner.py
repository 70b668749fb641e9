"""The engine as the console sees it: an object with ``run`` and ``layer_table``.

Tests hand the app a scripted fake with the same two methods; the real one imports
torch only when first used, so the first frame never waits for it.
"""

from __future__ import annotations

import os
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


def ui_threads(cfg: RunConfig | None = None) -> int:
    """Torch threads for a run inside the console (benchmarks/ui_overhead.py, docs/benchmarks.md).

    A convnet spends its time in torch kernels that release the GIL: every core, and the
    console costs about 1.07×. An MLP's small steps are Python-bound and share the GIL with the
    drawing: one core fewer (1.33× on MNIST, against 2.65× with every core).
    """
    cores = os.cpu_count() or 2
    if cfg is not None and cfg.model.arch == "convnet":
        return cores
    return max(1, cores - 1)


class TorchEngine:
    """The real engine: ``fit`` and ``inspect.layer_table``."""

    def run(
        self, cfg: RunConfig, emit: Emit, control: RunControl, runs_dir: Path, data_root: str | None, resume: Path | None = None
    ) -> Any:
        import torch

        from rdfia_tui.engine.training import fit

        if cfg.train.threads == 0:
            # an MLP's Python-bound steps would starve the drawing of a core; a convnet's kernels do not
            torch.set_num_threads(ui_threads(cfg))
        return fit(cfg, emit, control, runs_dir=runs_dir, data_root=data_root, resume=resume)

    def layer_table(self, cfg: RunConfig, data_root: str | None) -> Any:
        from rdfia_tui.engine.inspect import layer_table

        return layer_table(cfg, data_root=data_root)
