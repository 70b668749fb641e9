"""One run's folder and records: config.toml, metrics.csv and summary.json, each written atomically."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import platform
import re
import socket
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rdfia_tui import __version__
from rdfia_tui.engine import config as config_mod
from rdfia_tui.engine.config import RunConfig
from rdfia_tui.engine.errors import RecordError
from rdfia_tui.engine.events import EpochMetrics
from rdfia_tui.engine.runs.files import atomic_write
from rdfia_tui.engine.runs.status import RunStatus
from rdfia_tui.engine.runs.summary import SUMMARY, RunSummary

ENV_RUNS = "RDFIA_TUI_RUNS"


def resolve_runs_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--runs-dir, then RDFIA_TUI_RUNS, then ./runs."""
    if explicit:
        return Path(explicit).expanduser()
    return Path(os.environ.get(ENV_RUNS) or "runs")


def metrics_csv(rows: list[EpochMetrics]) -> str:
    """metrics.csv's text: the EpochMetrics columns, then one row per epoch; floats as repr (exact, nan kept).
    Accuracies are fractions 0-1, lr per step, seconds of training, images per second."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EpochMetrics.columns())
    for row in rows:
        writer.writerow([repr(v) if isinstance(v, float) else v for v in asdict(row).values()])
    return out.getvalue()


def read_metrics_csv(path: Path) -> list[dict[str, float]]:
    """A metrics.csv's rows: ``epoch`` an int, every other column a float; OSError or ValueError when unreadable."""
    with open(path, newline="", encoding="utf-8") as fh:
        return [{k: (int(v) if k == "epoch" else float(v)) for k, v in row.items()} for row in csv.DictReader(fh)]


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "run"


def check_runs_dir(runs_dir: Path, what: str = "runs dir", option: str = "--runs-dir or RDFIA_TUI_RUNS") -> None:
    """A runs dir (or sweep dir) that exists must be a folder: a file there is a one-line RecordError."""
    for path in (runs_dir, *runs_dir.parents):
        if path.exists() and not path.is_dir():
            where = "is a file" if path == runs_dir else f"is inside {path}, which is a file"
            raise RecordError(f"{what} {runs_dir} {where}, not a folder; choose a folder with {option}")


def create_run_dir(runs_dir: Path, preset: str, prefix: str = "") -> Path:
    """A new folder ``<runs_dir>/<prefix><YYYYmmdd-HHMMSS>-<preset>`` (suffixed -2, -3… on a clash)."""
    check_runs_dir(runs_dir)
    try:
        runs_dir.mkdir(parents=True, exist_ok=True)
        if not os.access(runs_dir, os.W_OK | os.X_OK):
            raise PermissionError(13, "Permission denied")
        stem = f"{prefix}{time.strftime('%Y%m%d-%H%M%S')}-{_slug(preset)}"
        for n in range(1, 1000):
            candidate = runs_dir / (stem if n == 1 else f"{stem}-{n}")
            try:
                candidate.mkdir()
                return candidate
            except FileExistsError:
                continue
    except OSError as exc:
        raise RecordError(
            f"runs dir {runs_dir} is not writable ({exc.strerror or exc}); choose another with --runs-dir or RDFIA_TUI_RUNS"
        ) from None
    raise RecordError(f"runs dir {runs_dir}: too many runs named {stem}")


def package_version(name: str) -> str:
    """A package's own ``__version__`` (which names the build: +cu130, +cpu) without importing it: read from
    its ``version.py`` when it has one, else the installed metadata."""
    import importlib.util
    from importlib import metadata

    module = sys.modules.get(name)
    if module is not None:
        return str(module.__version__)
    spec = importlib.util.find_spec(name)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        found = re.search(r"^__version__\s*=\s*['\"]([^'\"]+)['\"]", _read(Path(folder) / "version.py"), re.M)
        if found:
            return found.group(1)
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


def library_versions() -> dict[str, str]:
    """The versions that produced a record (importing torchvision just to ask would cost seconds)."""
    return {
        "python": platform.python_version(),
        "torch": package_version("torch"),
        "torchvision": package_version("torchvision"),
        "rdfia_tui": __version__,
    }


@dataclass
class RunRecord:
    """Everything known about one run; ``write`` puts it on disk atomically (summary.json as a RunSummary).

    ``epochs`` hold accuracies 0-1, lr per step, seconds and images per second; ``started``/``finished`` are Unix
    times in seconds. ``write`` and ``finish`` raise RecordWriteError when the disk refuses.
    """

    run_dir: Path
    config: RunConfig
    device: str
    layers: dict[str, Any]
    sizes: dict[str, int]
    class_names: tuple[str, ...]
    status: RunStatus = RunStatus.RUNNING
    message: str = ""
    epochs: list[EpochMetrics] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    finished: float | None = None
    written_epoch: int | None = None  # the last epoch metrics.csv and summary.json hold on disk
    speed: dict[str, Any] = field(default_factory=dict)
    world: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    data_fingerprint: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    test_confusion: list[list[list[int]]] = field(default_factory=list)
    lr_changes: list[dict[str, float]] = field(default_factory=list)
    resumed: list[dict[str, float]] | None = None
    per_class_test_acc: dict[str, float | None] | None = None
    diverged_at: dict[str, Any] | None = None
    lr_find: dict[str, Any] | None = None
    early_stop: dict[str, Any] | None = None  # early stopping's counter, best epoch and why it stopped (engine.early_stop)
    restored_test_acc: float | None = None  # the test accuracy of the best epoch's weights put back at the end (restore_best)

    @classmethod
    def create(cls, runs_dir: Path, config: RunConfig, **kwargs: Any) -> RunRecord:
        """A new run folder under ``runs_dir`` with config.toml, metrics.csv and summary.json written. Raises RecordError
        when the folder cannot be made, RecordWriteError when a file cannot be written."""
        record = cls(run_dir=create_run_dir(runs_dir, config.name), config=config, **kwargs)
        atomic_write(record.run_dir / "config.toml", config_mod.dumps(config))
        record.write()
        return record

    @classmethod
    def reopen(cls, run_dir: Path, config: RunConfig, **kwargs: Any) -> RunRecord:
        """The record of an existing run folder, continued (``rdfia-tui resume``)."""
        record = cls(run_dir=Path(run_dir), config=config, **kwargs)
        atomic_write(record.run_dir / "config.toml", config_mod.dumps(config))
        return record

    def summary(self) -> dict[str, Any]:
        """summary.json's mapping now (RunSummary.to_json)."""
        return self.typed_summary().to_json()

    def typed_summary(self) -> RunSummary:
        """The record as a RunSummary: final and best test accuracy (0-1; the earliest epoch wins a tie), the best epoch,
        and ``duration_s`` in seconds (up to now while the run goes on)."""
        test = [(m.test_acc, m.epoch) for m in self.epochs if math.isfinite(m.test_acc)]
        # the earliest epoch wins a tie
        best_acc, best_epoch = max(test, key=lambda t: (t[0], -t[1]), default=(None, None))
        end = self.finished or time.time()
        return RunSummary(
            status=self.status,
            message=self.message,
            preset=self.config.name,
            run_dir=str(self.run_dir),
            config=self.config.to_dict(),
            params=self.layers.get("total_params"),
            layers=self.layers,
            epochs=[asdict(m) for m in self.epochs],
            epochs_completed=max((m.epoch for m in self.epochs), default=0),
            final_test_acc=self.final_test_acc(),
            best_test_acc=best_acc,
            best_epoch=best_epoch,
            duration_s=round(end - self.started, 3),
            started_at=time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(self.started)),
            finished_at=time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(self.finished)) if self.finished else None,
            device=self.device,
            seed=self.config.train.seed,
            sizes=self.sizes,
            class_names=list(self.class_names),
            versions=library_versions(),
            pid=os.getpid(),
            host=socket.gethostname(),
            **{name: getattr(self, name) for name in RECORDED},
        )

    def final_test_acc(self) -> float | None:
        """The test accuracy (0-1) of the weights the run ends with: the last epoch's, or the restored best epoch's."""
        if self.restored_test_acc is not None:
            return self.restored_test_acc
        return self.epochs[-1].test_acc if self.epochs else None

    def write(self) -> dict[str, Any]:
        """metrics.csv first, then summary.json: each replaced whole, never half-written."""
        atomic_write(self.run_dir / "metrics.csv", metrics_csv(self.epochs))
        summary = self.summary()
        atomic_write(self.run_dir / SUMMARY, json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
        self.written_epoch = self.epochs[-1].epoch if self.epochs else None
        return summary

    def finish(self, status: RunStatus, message: str = "") -> dict[str, Any]:
        """Set the final status and message, stamp the end time and write; returns summary.json's mapping
        (RecordWriteError when the disk refuses)."""
        self.status, self.message, self.finished = RunStatus(status), message, time.time()
        return self.write()


# what the training loop records beside the epochs, under the same names in RunRecord and RunSummary
RECORDED = (
    "speed", "world", "data", "data_fingerprint", "notes", "test_confusion", "lr_changes", "resumed", "per_class_test_acc", "diverged_at",
    "early_stop", "lr_find",
)




class UnwrittenRecord(RunRecord):
    """The record as a rank other than 0 of a distributed run keeps it: the same history, never written (rank 0 writes)."""

    def write(self) -> dict[str, Any]:
        """summary.json's mapping, not written."""
        self.written_epoch = self.epochs[-1].epoch if self.epochs else None
        return self.summary()
