"""Shared fixtures: the optional ../shared/data folder and an isolated runs folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The suite's models are tiny: one intra-op thread is faster than two that fight the
# other tests (and subprocesses) for two cores. Set before any test imports torch.
os.environ.setdefault("OMP_NUM_THREADS", "1")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """../shared/data, or a skip when this machine does not have it (a user's machine never does)."""
    if not (SHARED_DATA / "cifar10.npz").is_file():
        pytest.skip(f"needs the real datasets in {SHARED_DATA}, which only the project's own machines have")
    return SHARED_DATA


@pytest.fixture
def runs_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh runs folder; RDFIA_TUI_RUNS points at it so nothing lands in ./runs."""
    path = tmp_path / "runs"
    monkeypatch.setenv("RDFIA_TUI_RUNS", str(path))
    return path


@pytest.fixture
def data_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data root; RDFIA_TUI_DATA points at it so no test reads the user's cache."""
    path = tmp_path / "data"
    path.mkdir()
    monkeypatch.setenv("RDFIA_TUI_DATA", str(path))
    return path
