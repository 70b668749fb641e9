"""What a computed lesson is made of: the checks of a formula against the engine, the blocks of quantities, the
facts of a started run, and the whole view. Plain data, torch-free."""

from __future__ import annotations

from dataclasses import dataclass

from rdfia_tui.engine.lessons.lesson import Lesson


@dataclass(frozen=True)
class Check:
    """One number computed twice: by the lesson's formula and by the engine (layer table, parameter count, lr_at)."""

    label: str
    formula: float
    engine: float

    @property
    def agrees(self) -> bool:
        """Equal to 1e-9 relative (they are the same arithmetic, written twice)."""
        return abs(self.formula - self.engine) <= 1e-9 * max(1.0, abs(self.engine))


@dataclass(frozen=True)
class Block:
    """One computed quantity: its registry ``name``, a ``title``, preformatted ``lines`` (monospace text, each
    at most about 76 characters), the ``problems`` found (a report's figure that differs from the computed one, or a
    formula that disagrees with the engine; empty when all agree) and the ``checks`` behind them."""

    name: str
    title: str
    lines: tuple[str, ...]
    problems: tuple[str, ...] = ()
    checks: tuple[Check, ...] = ()

    @classmethod
    def checked(cls, name: str, title: str, lines: list[str], checks: list[Check], problems: list[str] | None = None) -> Block:
        """A Block whose problems are ``problems`` and a line for each check the engine disagrees with."""
        found = [
            *(problems or []),
            *(f"{c.label}: the formula gives {c.formula:g}, the engine {c.engine:g}" for c in checks if not c.agrees),
        ]
        return cls(name, title, tuple(lines), tuple(found), tuple(checks))


@dataclass(frozen=True)
class RunFacts:
    """What a started run knows that the config alone does not: the split sizes, steps per epoch, and how a recorded
    run ended (its status word; empty while it trains or before it starts)."""

    n_train: int = 0
    steps_per_epoch: int = 0
    ended: str = ""


@dataclass(frozen=True)
class LessonView:
    """A preset's lesson (None when it has none) and its quantities, computed for the config and the run's epochs so
    far (epoch 0 is the evaluation before training)."""

    preset: str
    lesson: Lesson | None
    blocks: tuple[Block, ...]
