"""The learning-rate range test's arithmetic, without torch: each step's lr, the smoothed loss, the stop rule and
the suggestion.

The test trains for a few hundred steps while the lr grows geometrically from ``start_lr`` to ``end_lr``, and
stops once the smoothed loss exceeds ``DIVERGE_FACTOR`` times its best (or a loss is not finite). Leslie N. Smith,
"Cyclical Learning Rates for Training Neural Networks" (2015, arXiv:1506.01186), section 3.3, "LR range test";
the geometric sweep, the bias-corrected exponential smoothing and the stop rule are as fastai's ``lr_find``
popularised them (Howard & Gugger, "fastai", 2020).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from rdfia_tui.engine.errors import ConfigError

DIVERGE_FACTOR = 4.0  # the smoothed loss above this many times its best: diverged
SMOOTHING = 0.9  # weight of the previous average: about 10 steps of memory (0.98 would lag 50 steps behind the lr)
MIN_STEPS = 10
CURVE_FILE = "lr_find.csv"
CURVE_COLUMNS = ("step", "lr", "loss", "smoothed_loss")
STEEPEST = "steepest descent of the smoothed loss"
MIN_OVER_10 = "minimum of the smoothed loss / 10"
NO_FALL = "none: the smoothed loss never fell clearly below the first losses"
MIN_FALL = 0.1  # the smoothed loss must fall by this fraction of its first value for a suggestion


@dataclass(frozen=True)
class LrRange:
    """The sweep: ``steps`` optimiser steps from ``start_lr`` to ``end_lr`` (lr per step, both > 0, start < end).

    Raises ConfigError (one line, exit status 2) for non-finite or non-positive rates, start >= end, or fewer than
    MIN_STEPS steps.
    """

    start_lr: float = 1e-5
    end_lr: float = 10.0
    steps: int = 200

    def __post_init__(self) -> None:
        for name, value in (("--start-lr", self.start_lr), ("--end-lr", self.end_lr)):
            if not (math.isfinite(value) and value > 0):
                raise ConfigError(f"{name}: got {value:g}; give a learning rate above 0, e.g. 1e-5", key=name)
        if self.start_lr >= self.end_lr:
            raise ConfigError(
                f"--start-lr {self.start_lr:g} is not below --end-lr {self.end_lr:g}; the lr grows, e.g. --start-lr 1e-5 --end-lr 10",
                key="--start-lr",
            )
        if self.steps < MIN_STEPS:
            raise ConfigError(f"--steps: got {self.steps}; the curve needs at least {MIN_STEPS} steps (a few hundred is usual)",
                              key="--steps")

    def lr_at(self, step: int) -> float:
        """The lr of 0-based ``step``: start · (end/start)^(step/(steps-1)), so the last step uses ``end_lr``."""
        return self.start_lr * (self.end_lr / self.start_lr) ** (step / (self.steps - 1))


class Smoother:
    """Exponential moving average with bias correction: avg_t = β·avg_{t-1} + (1-β)·loss_t, shown as avg_t / (1-β^t)
    (Kingma & Ba 2015, "Adam", section 3, for the correction)."""

    def __init__(self, beta: float = SMOOTHING) -> None:
        self.beta, self.average, self.count = beta, 0.0, 0

    def add(self, loss: float) -> float:
        """The smoothed loss after ``loss``."""
        self.count += 1
        self.average = self.beta * self.average + (1 - self.beta) * loss
        return self.average / (1 - self.beta**self.count)


@dataclass(frozen=True)
class Probe:
    """One step of the sweep: its 1-based number, lr, loss (the batch's mean) and smoothed loss."""

    step: int
    lr: float
    loss: float
    smoothed: float


def divergence(probe: Probe, best: float) -> str | None:
    """Why the sweep stops at ``probe`` (``best``: the lowest smoothed loss so far), or None to go on."""
    if not math.isfinite(probe.loss):
        return f"the loss became {probe.loss} at lr {probe.lr:.3g}"
    if probe.smoothed > DIVERGE_FACTOR * best:
        return f"the smoothed loss {probe.smoothed:.3g} passed {DIVERGE_FACTOR:g}× its best ({best:.3g}) at lr {probe.lr:.3g}"
    return None


@dataclass(frozen=True)
class LrSuggestion:
    """What the curve says, all lr per step: ``suggested_lr`` by ``rule`` (STEEPEST, else MIN_OVER_10, else NO_FALL), both rules'
    values, the lr of the lowest smoothed loss, and ``diverged_lr`` with ``diverged_reason`` (None when the loss did
    not diverge before ``end_lr``). None for a value the curve is too short to give."""

    suggested_lr: float | None
    rule: str
    steepest_lr: float | None
    min_loss_lr: float | None
    min_over_10_lr: float | None
    diverged_lr: float | None
    diverged_reason: str | None
    collapse: str | None = None  # collapse_note's sentence for the config's lr, when its outputs sat at chance there

    def to_dict(self) -> dict:
        """The fields as a mapping (summary.json's ``lr_find``)."""
        return asdict(self)


def suggest(probes: list[Probe], diverged_reason: str | None = None) -> LrSuggestion:
    """The suggestion for a recorded curve: the steepest descent of the smoothed loss up to its minimum
    (steepest_lr), else the minimum's lr / 10. No suggestion (None, rule NO_FALL) when the smoothed loss never fell
    by MIN_FALL of the first losses (first_loss): the curve is noise, and any lr read off it would be too."""
    finite = [p for p in probes if math.isfinite(p.smoothed)]
    diverged_lr = probes[-1].lr if diverged_reason and probes else None
    if not finite:
        return LrSuggestion(None, NO_FALL, None, None, None, diverged_lr, diverged_reason)
    low = min(range(len(finite)), key=lambda i: finite[i].smoothed)
    min_lr = finite[low].lr
    if finite[low].smoothed > (1 - MIN_FALL) * first_loss(probes):
        return LrSuggestion(None, NO_FALL, None, min_lr, min_lr / 10, diverged_lr, diverged_reason)
    steepest = steepest_lr(finite[: low + 1], max(2, len(probes) // 40))
    suggested, rule = (steepest, STEEPEST) if steepest is not None else (min_lr / 10, MIN_OVER_10)
    return LrSuggestion(suggested, rule, steepest, min_lr, min_lr / 10, diverged_lr, diverged_reason)


def first_loss(probes: list[Probe]) -> float:
    """The loss the sweep started from: the median of the finite losses of its first tenth (at least 3 steps), so one
    lucky or unlucky first batch does not decide."""
    head = sorted(p.loss for p in probes[: max(3, len(probes) // 10)] if math.isfinite(p.loss))
    return head[len(head) // 2] if head else math.inf


def steepest_lr(falling: list[Probe], half: int) -> float | None:
    """The lr where the smoothed loss falls fastest against log10(lr) over ``falling`` (the curve up to its minimum):
    each slope is taken between the points ``half`` steps before and after (a wider difference than neighbours, so
    one noisy batch does not decide), and the first ``half`` points (where the smoothing has little history) are
    left out. None when too few points remain or the loss never falls."""
    points = falling[half:]
    if len(points) < 2 * half + 1:
        return None
    slopes = [
        ((b.smoothed - a.smoothed) / (math.log10(b.lr) - math.log10(a.lr)), mid.lr)
        for a, mid, b in zip(points, points[half:], points[2 * half :], strict=False)
    ]
    slope, lr = min(slopes)
    return lr if slope < 0 else None


COLLAPSE_BAND = 0.005  # losses within 0.5% of ln(classes) are a uniform guess; a loss 0.5% below it had begun to learn


def collapse_note(probes: list[Probe], lr: float, classes: int) -> str | None:
    """With cross-entropy over ``classes`` classes, ln(classes) is the loss of a uniform guess (every class 1/classes).
    When the raw losses of the steps nearest ``lr`` (log distance; ``lr`` inside the swept range) all sit within
    COLLAPSE_BAND of it, although a lower lr had already taken the loss clearly below it, the network's outputs have
    collapsed to chance at ``lr``: it stops learning there rather than blowing up. One sentence saying so, else None.
    This is the course's lr 2 at batch 512 (Q16-18): the loss does not diverge, it sits at ln 10 = 2.303."""
    finite = [p for p in probes if math.isfinite(p.loss)]
    if classes < 2 or len(finite) < 5 or not finite[0].lr <= lr <= finite[-1].lr:
        return None
    chance = math.log(classes)
    here = sorted(range(len(finite)), key=lambda i: abs(math.log(finite[i].lr / lr)))[:5]
    if any(abs(finite[i].loss - chance) > COLLAPSE_BAND * chance for i in here):
        return None
    before = [p for p in finite[: min(here)] if p.loss < (1 - COLLAPSE_BAND) * chance]
    if not before:
        return None
    low = min(before, key=lambda p: p.loss)
    return (f"at optim.lr {lr:g} the loss sits at ln {classes} = {chance:.3f}, the loss of a uniform guess over {classes} classes, "
            f"although at lr {low.lr:.3g} it had fallen to {low.loss:.3f}: at this lr the network's outputs collapse to "
            f"chance (about {100 / classes:.0f}% accuracy) and it stops learning, without the loss blowing up")  # fmt: skip


def where_lr_sits(lr: float, found: LrSuggestion) -> str:
    """One sentence placing ``lr`` (the config's optim.lr) on the curve: against the lr of the lowest loss (above it
    the loss no longer falls), the lr where the loss diverged, and the suggestion. With no suggestion (NO_FALL) the
    lowest loss is noise, so the sentence says the test was inconclusive for ``lr``, why, and what to try; unless the
    outputs collapsed to chance at ``lr`` (``found.collapse``), which the curve does tell."""
    if found.collapse:
        d = found.diverged_lr
        return found.collapse + (f"; the loss diverges only at lr {d:.3g}, {d / lr:.3g}× higher" if d else "")
    if found.suggested_lr is None and found.rule == NO_FALL:
        d = found.diverged_lr
        diverged = f"; it is {lr / d:.3g}× the lr where the loss diverged ({d:.3g})" if d else ""
        return (f"the test is inconclusive for optim.lr {lr:g}: the smoothed loss never fell {MIN_FALL:.0%} below its first "
                "losses, so the curve cannot tell whether this lr is too high or too low (a network whose loss needs "
                "thousands of steps to start falling looks like this); try more steps (--steps) or a higher start lr "
                f"(--start-lr){diverged}")  # fmt: skip
    parts = []
    if found.min_loss_lr is not None:
        ratio = lr / found.min_loss_lr
        past = "past it the loss rose instead of falling" if ratio > 1 else "the loss was still falling there"
        parts.append(f"{ratio:.3g}× the lr of the lowest loss ({found.min_loss_lr:.3g}): {past}")
    if found.diverged_lr is not None:
        ratio = lr / found.diverged_lr
        parts.append(f"{ratio:.3g}× the lr where the loss diverged ({found.diverged_lr:.3g})")
    else:
        parts.append("the loss did not diverge in the range swept")
    if found.suggested_lr is not None:
        parts.append(f"{lr / found.suggested_lr:.3g}× the suggested lr ({found.suggested_lr:.3g})")
    return f"optim.lr {lr:g} is " + "; ".join(parts)


def report_lines(found: LrSuggestion | None, config_lr: float, steps: int, seconds: float) -> list[str]:
    """The test's findings in sentences: the suggestion and its rule, the other rule, the divergence, the config's lr."""
    if found is None or found.min_loss_lr is None:
        return [f"no finite loss in {steps} steps: no suggestion"]
    lines = []
    if found.suggested_lr is not None:
        lines.append(f"suggested lr: {found.suggested_lr:.3g} ({found.rule})")
    else:
        lines.append(f"no suggested lr ({found.rule}); try more --steps, a larger batch or another range")
    if found.suggested_lr is None:
        lines.append(f"lowest smoothed loss at lr {found.min_loss_lr:.3g}, within the noise of the first losses")
    else:
        lines.append(f"lowest smoothed loss at lr {found.min_loss_lr:.3g} (minimum / 10: {found.min_over_10_lr:.3g})")
    if found.diverged_lr is not None:
        lines.append(f"diverged at lr {found.diverged_lr:.3g}: {found.diverged_reason}")
    else:
        lines.append("the loss did not diverge in the range; a larger --end-lr shows where it does")
    lines.append(where_lr_sits(config_lr, found))
    lines.append(f"took {seconds:.1f} s ({steps} steps)")
    return lines


def curve_csv(probes: list[Probe]) -> str:
    """lr_find.csv's text: CURVE_COLUMNS, one row per step; floats as repr (exact; nan and inf kept)."""
    rows = [",".join(CURVE_COLUMNS)]
    rows += [f"{p.step},{p.lr!r},{p.loss!r},{p.smoothed!r}" for p in probes]
    return "\n".join(rows) + "\n"


def read_curve_csv(text: str) -> list[Probe]:
    """The probes of an lr_find.csv's text; ValueError when a row is not step,lr,loss,smoothed_loss numbers."""
    lines = text.splitlines()
    if not lines or tuple(lines[0].split(",")) != CURVE_COLUMNS:
        raise ValueError(f"the header is not {','.join(CURVE_COLUMNS)}")
    probes = []
    for line in lines[1:]:
        step, lr, loss, smoothed = line.split(",")
        probes.append(Probe(int(step), float(lr), float(loss), float(smoothed)))
    return probes
