"""Shared fixtures: the optional ../shared/data folder and an isolated runs folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The suite's models are tiny: one intra-op thread is faster than two that fight the
# other tests (and subprocesses) for two cores. Set before any test imports torch.
os.environ.setdefault("OMP_NUM_THREADS", "1")

REPO = Path(__file__).resolve().parents[1]
# The real CIFAR-10 and MNIST (cifar10.npz, mnist.npz): the user's $RDFIA_TUI_DATA, read before any
# test changes the environment, then the project machines' ../shared/data.
USER_DATA = os.environ.get("RDFIA_TUI_DATA", "")
REAL_DATA_FOLDERS = [Path(p).expanduser() for p in (USER_DATA,) if p] + [REPO.parent / "shared" / "data"]
SHARED_DATA = next((p for p in REAL_DATA_FOLDERS if (p / "cifar10.npz").is_file()), REAL_DATA_FOLDERS[-1])


@pytest.fixture(autouse=True)
def own_config_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The console keeps chart options under $XDG_CONFIG_HOME/rdfia-tui: no test reads or writes the user's, nor
    sees the options another test chose (a palette kept by one test would recolour the next one's snapshot)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))


@pytest.fixture
def shared_data() -> Path:
    """The folder holding the real datasets, or a skip that says where it looked."""
    if not (SHARED_DATA / "cifar10.npz").is_file():
        where = " or ".join(str(p) for p in REAL_DATA_FOLDERS)
        pytest.skip(f"needs the real datasets (cifar10.npz, mnist.npz): set RDFIA_TUI_DATA to their folder (looked in {where})")
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


@pytest.fixture
def no_run_left_behind(tmp_path: Path):
    """A test that starts detached runs must not leave one training when it fails: every run still alive
    under tmp_path at the end (its live.json names the process) is killed."""
    yield
    import signal

    from rdfia_tui.engine.runs.liveness import is_alive, read_live

    for live in tmp_path.glob("**/live.json"):
        state = read_live(live.parent)
        if state is not None and is_alive(state):
            os.kill(state.pid, signal.SIGKILL)
