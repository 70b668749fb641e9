"""What can be resumed, decided without importing torch (the console asks before a run starts)."""

from __future__ import annotations

from pathlib import Path

from rdfia_tui.engine.config import RunConfig, apply_overrides
from rdfia_tui.engine.errors import ConfigError, RecordError
from rdfia_tui.engine.presets import load
from rdfia_tui.engine.runs.liveness import run_alive
from rdfia_tui.engine.runs.status import RunStatus
from rdfia_tui.engine.runs.summary import read_summary

CHECKPOINT = "checkpoint.pt"
# nproc: a run started by torchrun itself records 1; early stopping decides when to stop, never what a step computes
RESUMABLE_KEYS = ("train.epochs", "train.nproc", "train.early_stop_patience", "train.early_stop_metric", "train.restore_best")


def checkpoint_path(run_dir: str | Path) -> Path:
    """``run_dir``/checkpoint.pt."""
    return Path(run_dir) / CHECKPOINT


def no_checkpoint(run_dir: str | Path) -> RecordError:
    """The RecordError (returned, for the caller to raise) for a run folder without checkpoint.pt, saying how to get one."""
    return RecordError(
        f"{run_dir} has no {CHECKPOINT}: it ran without train.checkpoint=epoch (or stopped before its first epoch); "
        "start it again with --set train.checkpoint=epoch"
    )


def resume_config(run_dir: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> RunConfig:
    """The config to continue ``run_dir`` with: its own, with at most RESUMABLE_KEYS changed (``train.epochs`` raised).

    Raises RecordError or ConfigError (one line, what to do) when there is nothing to resume: RecordError for a
    folder without config.toml or checkpoint.pt, or a run that completed its epochs; ConfigError for an invalid
    config.toml, an override other than ``train.epochs``, or fewer epochs than already trained.
    """
    folder = Path(run_dir)
    if not (folder / "config.toml").is_file():
        raise RecordError(f"{folder} is not a run folder (no config.toml); list runs with 'rdfia-tui runs'")
    cfg = load(folder / "config.toml")
    for item in overrides:
        key = item.split("=", 1)[0].strip()
        if key not in RESUMABLE_KEYS:
            raise ConfigError(
                f"--set {key}: only {', '.join(RESUMABLE_KEYS)} can change when resuming; start a new run for anything else", key=key
            )
    cfg = apply_overrides(cfg, list(overrides))
    try:
        summary = read_summary(folder)
    except RecordError:
        summary = {}
    summary = summary if isinstance(summary, dict) else {}
    if summary.get("status") == RunStatus.RUNNING and run_alive(folder, summary):
        raise RecordError(f"{folder} is still training (its process is alive); follow it with 'rdfia-tui attach {folder}'")
    if not checkpoint_path(folder).is_file():
        raise no_checkpoint(folder)
    done = summary.get("epochs_completed", 0)
    if done > cfg.train.epochs:
        raise ConfigError(
            f"train.epochs: got {cfg.train.epochs} but {folder} has already trained {done} epochs; give more epochs, not fewer",
            key="train.epochs",
        )
    if summary.get("status") == RunStatus.EARLY_STOPPED:
        raise RecordError(
            f"{folder} stopped early after epoch {done} (best epoch {(summary.get('early_stop') or {}).get('best_epoch')}); "
            "it is a result: "
            "start a new run with a larger train.early_stop_patience to train longer"
        )
    if summary.get("status") == RunStatus.COMPLETED and done >= cfg.train.epochs:
        raise RecordError(f"{folder} already completed its {done} epochs; train further with --set train.epochs={done + 10} (for example)")
    return cfg


def can_resume(summary: dict) -> bool:
    """A recorded run that has a checkpoint and did not complete or stop early (stopped, failed, or lost: killed while running).
    A live run (the listing's "running") is not: its own process still trains it."""
    run_dir = summary.get("run_dir")
    ended = summary.get("status") not in (RunStatus.COMPLETED, RunStatus.EARLY_STOPPED, RunStatus.RUNNING)
    return bool(run_dir) and ended and checkpoint_path(run_dir).is_file()
