"""A run's curves described in words (``rdfia-tui summary``, the console's "In words"): structured findings and
full sentences, from its records alone. No torch, no screen library: plain arithmetic on metrics.csv and summary.json.

What is found, each rule named where it is applied: the best epoch, the trend over the last epochs, a plateau,
loss spikes, the gap between training and held-out accuracy, and where over-fitting began (the held-out loss at its
lowest, then above it for good while the training loss kept falling).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from rdfia_tui.engine.lr_range import LrSuggestion, where_lr_sits
from rdfia_tui.engine.runs.record import read_metrics_csv
from rdfia_tui.engine.runs.summary import read_summary

TREND_WINDOW = 5  # epochs the trend looks back over
FLAT = 0.005  # an accuracy change (0-1) this small counts as no change: half a percentage point
PLATEAU_MIN = 3  # epochs without a real improvement before a plateau is named
SPIKE_FACTOR = 1.5  # a loss this many times the previous epoch's is a spike
OVERFIT_MIN = 3  # epochs after the held-out loss's lowest that must all stay above it
OVERFIT_RISE = 0.05  # and the last must be this fraction above it
SPLIT_WORDS = {"val": "validation", "test": "test"}


@dataclass(frozen=True)
class Spike:
    """A loss that jumped in one epoch: which curve ("training" or the held-out split's word), the epoch, and the loss
    before and after."""

    curve: str
    epoch: int
    before: float
    after: float


@dataclass(frozen=True)
class RunFindings:
    """What the curves show. Accuracies are fractions 0-1; ``split`` is the held-out split the findings use ("val",
    or "test" when the run kept no validation split); None where the run is too short to tell."""

    split: str
    epochs: int
    best_epoch: int | None
    best_acc: float | None
    trend: str | None  # "rising", "falling" or "flat": the held-out accuracy over the last TREND_WINDOW epochs
    trend_change: float | None  # its change over that window
    trend_from: int | None  # the window's first epoch
    plateau_since: int | None  # the last epoch that improved the best accuracy by more than FLAT, when PLATEAU_MIN followed
    spikes: tuple[Spike, ...]
    gap: float | None  # training accuracy minus held-out accuracy at the last epoch
    overfit_from: int | None  # the epoch of the lowest held-out loss, after which over-fitting set in


@dataclass(frozen=True)
class RunDescription:
    """The findings (None for a run with no trained epoch, or an lr range test) and the sentences that say them."""

    findings: RunFindings | None
    sentences: tuple[str, ...]

    @property
    def text(self) -> str:
        """One sentence a line."""
        return "\n".join(self.sentences)


def describe_run(run_dir: Path) -> RunDescription:
    """The description of the run folder ``run_dir``. Raises SummaryUnreadable (a RecordError: one line) when its
    summary.json cannot be read; metrics.csv is used when readable, else summary.json's epochs."""
    summary = read_summary(run_dir)
    try:
        rows = read_metrics_csv(Path(run_dir) / "metrics.csv")
    except (OSError, ValueError, KeyError):
        rows = [row for row in summary.get("epochs", []) if isinstance(row, dict)]
    return describe(summary, rows)


def describe(summary: dict[str, Any], rows: list[dict[str, float]]) -> RunDescription:
    """The description of a run from its summary.json mapping and its metrics rows (epoch 0 first)."""
    head = [opening(summary)]
    if isinstance(summary.get("lr_find"), dict) and summary["lr_find"]:
        return RunDescription(None, (*head, *lr_find_sentences(summary["lr_find"])))
    trained = [r for r in rows if r.get("epoch", 0) >= 1]
    if not trained:
        return RunDescription(None, (*head, "It has no trained epoch recorded yet, so there is no curve to describe."))
    found = find(rows)
    return RunDescription(found, (*head, *sentences(found, rows)))


def opening(summary: dict[str, Any]) -> str:
    """The first sentence: which run, how it ended, how long it took."""
    name, status = Path(str(summary.get("run_dir", "?"))).name, summary.get("status", "?")
    planned = summary.get("config", {}).get("train", {}).get("epochs", "?")
    seconds = summary.get("duration_s")
    took = f" in {seconds:.1f} seconds" if isinstance(seconds, int | float) else ""
    message = str(summary.get("message") or "")
    said = f" ({message.rstrip('.')})" if message else ""
    if summary.get("lr_find"):
        return f"Run {name} is a learning-rate range test of preset {summary.get('preset', '?')}; its status is {status}{took}{said}."
    done = summary.get("epochs_completed", 0)
    return f"Run {name} of preset {summary.get('preset', '?')} is {status} after {done} of {planned} epochs{took}{said}."


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def held_out_split(rows: list[dict[str, float]]) -> str:
    """"val" when the run measured a validation split, else "test"."""
    return "val" if any(_finite(r.get("val_acc")) for r in rows if r.get("epoch", 0) >= 1) else "test"


def find(rows: list[dict[str, float]]) -> RunFindings:
    """The findings of metrics rows (epoch 0 first) that hold at least one trained epoch."""
    split = held_out_split(rows)
    trained = [r for r in rows if r.get("epoch", 0) >= 1]
    acc = [(int(r["epoch"]), r[f"{split}_acc"]) for r in trained if _finite(r.get(f"{split}_acc"))]
    best_epoch, best_acc = max(acc, key=lambda t: (t[1], -t[0]), default=(None, None))
    trend, change, since = trend_of(acc)
    last = trained[-1]
    gap = last["train_acc"] - last[f"{split}_acc"] if _finite(last.get("train_acc")) and _finite(last.get(f"{split}_acc")) else None
    spikes = (*loss_spikes(rows, "train_loss", "training"), *loss_spikes(rows, f"{split}_loss", SPLIT_WORDS[split]))
    return RunFindings(split, len(trained), best_epoch, best_acc, trend, change, since, plateau_since(acc),
                       tuple(sorted(spikes, key=lambda s: s.epoch)), gap, overfit_from(trained, split))  # fmt: skip


def trend_of(acc: list[tuple[int, float]]) -> tuple[str | None, float | None, int | None]:
    """("rising" | "falling" | "flat", the change, the first epoch) over the last TREND_WINDOW epochs of ``acc``
    ((epoch, accuracy) pairs); Nones with fewer than 2 epochs."""
    window = acc[-TREND_WINDOW:]
    if len(window) < 2:
        return None, None, None
    change = window[-1][1] - window[0][1]
    word = "flat" if abs(change) <= FLAT else "rising" if change > 0 else "falling"
    return word, change, window[0][0]


def plateau_since(acc: list[tuple[int, float]]) -> int | None:
    """The last epoch whose accuracy beat every earlier one by more than FLAT, when at least PLATEAU_MIN epochs
    follow it (none of which did); None otherwise."""
    best, last_gain = -math.inf, None
    for epoch, value in acc:
        if value > best + FLAT:
            last_gain = epoch
        best = max(best, value)
    if last_gain is None or sum(1 for epoch, _ in acc if epoch > last_gain) < PLATEAU_MIN:
        return None
    return last_gain


def loss_spikes(rows: list[dict[str, float]], column: str, curve: str) -> list[Spike]:
    """Epochs whose ``column`` loss is at least SPIKE_FACTOR times the previous epoch's (epoch 0 counts as previous)."""
    points = [(int(r["epoch"]), r[column]) for r in rows if _finite(r.get(column))]
    return [Spike(curve, e, a, b) for (_, a), (e, b) in itertools.pairwise(points) if a > 0 and b >= SPIKE_FACTOR * a]


def overfit_from(trained: list[dict[str, float]], split: str) -> int | None:
    """The epoch of the lowest held-out loss when every one of the (at least OVERFIT_MIN) epochs after it stayed above
    that lowest, the last by more than OVERFIT_RISE of it, while the training loss fell from that epoch to the last."""
    losses = [(int(r["epoch"]), r[f"{split}_loss"], r.get("train_loss")) for r in trained if _finite(r.get(f"{split}_loss"))]
    if len(losses) < OVERFIT_MIN + 1:
        return None
    at = min(range(len(losses)), key=lambda i: losses[i][1])
    epoch, lowest, train_then = losses[at]
    after = losses[at + 1 :]
    if len(after) < OVERFIT_MIN or not all(v > lowest for _, v, _ in after) or after[-1][1] < lowest * (1 + OVERFIT_RISE):
        return None
    train_last = after[-1][2]
    return epoch if _finite(train_then) and _finite(train_last) and train_last < train_then else None


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def sentences(found: RunFindings, rows: list[dict[str, float]]) -> list[str]:
    """The findings in full sentences, in the order a reader asks: best, trend, plateau, spikes, gap, over-fitting."""
    words = SPLIT_WORDS[found.split]
    by_epoch = {int(r["epoch"]): r for r in rows}
    out = []
    if found.best_epoch is not None:
        out.append(f"The best {words} accuracy, {_pct(found.best_acc)}, came at epoch {found.best_epoch} of {found.epochs} trained.")
    if found.trend is not None:
        span = f"from epoch {found.trend_from} to epoch {found.epochs}"
        out.append(f"Over the last epochs ({span}) {words} accuracy was {TREND_WORDS[found.trend](found.trend_change)}.")
    if found.plateau_since is not None:
        out.append(f"It has been on a plateau since epoch {found.plateau_since}: no later epoch beat it by more than {100 * FLAT:g} "
                   "percentage points.")  # fmt: skip
    out.extend(f"The {s.curve} loss jumped at epoch {s.epoch}, from {s.before:.3g} to {s.after:.3g}." for s in found.spikes)
    if not found.spikes:
        out.append("No loss jumped by half or more from one epoch to the next.")
    if found.gap is not None:
        out.append(gap_sentence(found.gap, words))
    out.append(overfit_sentence(found, by_epoch, words))
    return out


TREND_WORDS = {
    "rising": lambda change: f"still rising, by {100 * change:.1f} percentage points",
    "falling": lambda change: f"falling, by {100 * -change:.1f} percentage points",
    "flat": lambda change: f"flat, within {100 * FLAT:g} percentage points",
}


def gap_sentence(gap: float, words: str) -> str:
    """The train-minus-held-out accuracy gap at the last epoch, said with what it suggests."""
    points = 100 * gap
    if points > 5:
        meaning = "the network fits its training data much better than new data"
    elif points < -2:
        meaning = "held-out accuracy is higher, as happens with augmentation or dropout measured during training"
    else:
        meaning = "the two are close"
    side = "above" if points >= 0 else "below"
    return f"At the last epoch training accuracy was {abs(points):.1f} percentage points {side} {words} accuracy: {meaning}."


def overfit_sentence(found: RunFindings, by_epoch: dict[int, dict[str, float]], words: str) -> str:
    """Where over-fitting began, with the losses that show it, or that it did not."""
    if found.overfit_from is None:
        return f"There is no sustained over-fitting: the {words} loss did not keep rising while the training loss fell."
    start, last = by_epoch[found.overfit_from], by_epoch[max(by_epoch)]
    split = found.split
    return (f"Over-fitting began after epoch {found.overfit_from}: the {words} loss was lowest there ({start[f'{split}_loss']:.3g}) "
            f"and stayed above it to {last[f'{split}_loss']:.3g} at epoch {int(last['epoch'])}, while the training loss fell "
            f"from {start['train_loss']:.3g} to {last['train_loss']:.3g}.")  # fmt: skip


def lr_find_sentences(found: dict[str, Any]) -> list[str]:
    """An lr range test's findings (summary.json's ``lr_find``) in sentences."""
    out = [f"It swept the learning rate from {found.get('start_lr', 0):g} to {found.get('end_lr', 0):g} and took "
           f"{found.get('steps_done', 0)} of {found.get('steps', 0)} steps."]  # fmt: skip
    if found.get("suggested_lr") is not None:
        out.append(f"The suggested learning rate is {found['suggested_lr']:.3g}, by the rule: {found.get('rule')}.")
    if found.get("diverged_lr") is not None:
        out.append(f"The loss diverged at learning rate {found['diverged_lr']:.3g}: {found.get('diverged_reason')}.")
    else:
        out.append("The loss did not diverge in the range swept.")
    names = {f.name for f in fields(LrSuggestion)}
    if _finite(found.get("config_lr")) and names <= found.keys():
        out.append(f"Its config's {where_lr_sits(found['config_lr'], LrSuggestion(**{k: found[k] for k in names}))}.")
    return out
