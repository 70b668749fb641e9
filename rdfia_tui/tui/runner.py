"""The engine as the console sees it: an object with ``run`` and ``layer_table``.

Tests hand the app a scripted fake with the same two methods; the real one imports
torch only when first used, so the first frame never waits for it.
"""

from __future__ import annotations

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


class TorchEngine:
    """The real engine: ``fit`` and ``inspect.layer_table``."""

    def run(
        self, cfg: RunConfig, emit: Emit, control: RunControl, runs_dir: Path, data_root: str | None, resume: Path | None = None
    ) -> Any:
        from rdfia_tui.engine.training import fit

        # console=True: with train.threads = 0, an MLP's Python-bound steps leave the drawing a core
        return fit(cfg, emit, control, runs_dir=runs_dir, data_root=data_root, resume=resume, console=True)

    def layer_table(self, cfg: RunConfig, data_root: str | None) -> Any:
        from rdfia_tui.engine.model_checks import layer_table

        return layer_table(cfg, data_root=data_root)
