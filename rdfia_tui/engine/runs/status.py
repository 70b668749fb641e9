"""The status of a run or a sweep point, as stored in summary.json and sweep.json."""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    """A run's state. Stored as its lower-case value, so records written before this type read the same.

    ``LOST`` and ``UNREADABLE`` are never written: the run listing gives them to a "running" record whose
    process is gone, and to a folder whose records cannot be read.
    """

    RUNNING = "running"
    COMPLETED = "completed"
    EARLY_STOPPED = "early-stopped"  # early stopping ended it: its validation metric stopped improving (a result)
    STOPPED = "stopped"
    DIVERGED = "diverged"
    FAILED = "failed"
    PRUNED = "pruned"  # a sweep point a scheduler stopped early (Ray Tune's ASHA); its run folder says stopped
    LOST = "lost"
    UNREADABLE = "unreadable"

    @classmethod
    def of(cls, value: object, default: RunStatus | None = None) -> RunStatus:
        """The status spelt ``value``; an unknown spelling gives ``default`` (FAILED when None)."""
        try:
            return cls(str(value))
        except ValueError:
            return default or cls.FAILED

    @property
    def ended(self) -> bool:
        """The run will not change any more (what a sweep or the runs screen may read as final)."""
        return self in (
            RunStatus.COMPLETED, RunStatus.EARLY_STOPPED, RunStatus.STOPPED, RunStatus.DIVERGED, RunStatus.FAILED, RunStatus.PRUNED
        )

    @property
    def is_result(self) -> bool:
        """A sweep point that needs no rerun: completed, early-stopped, diverged (that setting is too unstable, a result),
        or pruned (a scheduler judged it worse than the others: also a result)."""
        return self in (RunStatus.COMPLETED, RunStatus.EARLY_STOPPED, RunStatus.DIVERGED, RunStatus.PRUNED)

    @property
    def succeeded(self) -> bool:
        """The run trained to its own end, completed or early-stopped: its final accuracy is a final result."""
        return self in (RunStatus.COMPLETED, RunStatus.EARLY_STOPPED)

    @property
    def exit_code(self) -> int:
        """The command line's exit status: 0 completed or early-stopped, 3 diverged, 130 stopped, 1 otherwise
        (143 for SIGTERM is the CLI's)."""
        return _EXIT_CODES.get(self, 1)

    @property
    def colour(self) -> str:
        """A colour name that both rich and Textual understand."""
        return _COLOURS[self]

    @property
    def word(self) -> str:
        """How the end of a run is said in a sentence: "finished", "stopped early", "stopped", "diverged"…"""
        return _WORDS.get(self, self.value)


_EXIT_CODES = {RunStatus.COMPLETED: 0, RunStatus.EARLY_STOPPED: 0, RunStatus.DIVERGED: 3, RunStatus.STOPPED: 130}
_WORDS = {RunStatus.COMPLETED: "finished", RunStatus.EARLY_STOPPED: "stopped early"}
_COLOURS = {
    RunStatus.RUNNING: "cyan",
    RunStatus.COMPLETED: "green",
    RunStatus.EARLY_STOPPED: "green",
    RunStatus.STOPPED: "yellow",
    RunStatus.DIVERGED: "bold red",
    RunStatus.FAILED: "red",
    RunStatus.PRUNED: "blue",
    RunStatus.LOST: "magenta",
    RunStatus.UNREADABLE: "magenta",
}
