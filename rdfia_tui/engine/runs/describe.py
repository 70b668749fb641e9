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
from rdfia_tui.engine.runs.listing import is_lr_find, read_run
from rdfia_tui.engine.runs.liveness import LiveState
from rdfia_tui.engine.runs.record import read_metrics_csv
from rdfia_tui.engine.runs.status import RunStatus
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
    trend_from: int | None  # the window's first epoch (never before plateau_since: one window for both)
    plateau_since: int | None  # the earliest epoch k from which on no epoch beat any earlier one of k.. by more than FLAT
    spikes: tuple[Spike, ...]
    gap: float | None  # training accuracy minus held-out accuracy at the last epoch
    overfit_from: int | None  # the epoch of the lowest held-out loss, after which over-fitting set in
    overfit_rise: float | None = None  # the last held-out loss over that lowest, minus 1 (0.04: 4% higher)
    stalled_from: int | None = None  # early-stopped on the held-out loss while the training loss did not fall either


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
    summary.json cannot be read; metrics.csv is used when readable, else summary.json's epochs. A run recorded as
    running is checked (listing.read_run): still alive (with where it is now), or lost."""
    summary = read_summary(run_dir)
    if summary.get("status") == RunStatus.RUNNING:
        summary = {**summary, **read_run(Path(run_dir))}
    try:
        rows = read_metrics_csv(Path(run_dir) / "metrics.csv")
    except (OSError, ValueError, KeyError):
        rows = [row for row in summary.get("epochs", []) if isinstance(row, dict)]
    return describe(summary, rows)


def describe(summary: dict[str, Any], rows: list[dict[str, float]]) -> RunDescription:
    """The description of a run from its summary.json mapping and its metrics rows (epoch 0 first)."""
    head = [opening(summary)]
    if is_lr_find(summary):
        return RunDescription(None, (*head, *lr_find_sentences(summary["lr_find"], summary)))
    trained = [r for r in rows if r.get("epoch", 0) >= 1]
    if not trained:
        return RunDescription(None, (*head, "It has no trained epoch recorded yet, so there is no curve to describe."))
    found = find(rows, stopped_on_loss(summary))
    return RunDescription(found, (*head, *sentences(found, rows)))


def stopped_on_loss(summary: dict[str, Any]) -> bool:
    """Whether early stopping ended the run because a held-out loss stopped improving (summary.json's ``early_stop``)."""
    record = summary.get("early_stop")
    return isinstance(record, dict) and "stopped_after" in record and str(record.get("metric", "")).endswith("_loss")


def opening(summary: dict[str, Any]) -> str:
    """The first sentence: which run, how it ended, how long it took."""
    name, status = Path(str(summary.get("run_dir", "?"))).name, summary.get("status", "?")
    planned = summary.get("config", {}).get("train", {}).get("epochs", "?")
    seconds = summary.get("duration_s")
    took = f" in {seconds:.1f} seconds" if isinstance(seconds, int | float) else ""
    message = str(summary.get("message") or "")
    said = f" ({message.rstrip('.')})" if message else ""
    if is_lr_find(summary):
        if status == RunStatus.RUNNING:
            return f"Run {name} is a learning-rate range test of preset {summary.get('preset', '?')}, still running."
        return f"Run {name} is a learning-rate range test of preset {summary.get('preset', '?')}; its status is {status}{took}{said}."
    done = summary.get("epochs_completed", 0)
    return f"Run {name} of preset {summary.get('preset', '?')} is {status} after {done} of {planned} epochs{took}{said}."


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def held_out_split(rows: list[dict[str, float]]) -> str:
    """"val" when the run measured a validation split, else "test"."""
    return "val" if any(_finite(r.get("val_acc")) for r in rows if r.get("epoch", 0) >= 1) else "test"


def find(rows: list[dict[str, float]], early_stopped_on_loss: bool = False) -> RunFindings:
    """The findings of metrics rows (epoch 0 first) that hold at least one trained epoch. ``early_stopped_on_loss``:
    early stopping ended the run on a held-out loss, which counts as its rise being real however small (overfit_from)."""
    split = held_out_split(rows)
    trained = [r for r in rows if r.get("epoch", 0) >= 1]
    acc = [(int(r["epoch"]), r[f"{split}_acc"]) for r in trained if _finite(r.get(f"{split}_acc"))]
    best_epoch, best_acc = max(acc, key=lambda t: (t[1], -t[0]), default=(None, None))
    plateau = plateau_since(acc)
    trend, change, since = trend_of([(e, v) for e, v in acc if plateau is None or e >= plateau])
    last = trained[-1]
    gap = last["train_acc"] - last[f"{split}_acc"] if _finite(last.get("train_acc")) and _finite(last.get(f"{split}_acc")) else None
    spikes = (*loss_spikes(rows, "train_loss", "training"), *loss_spikes(rows, f"{split}_loss", SPLIT_WORDS[split]))
    overfit, rise = overfit_from(trained, split, 0.0 if early_stopped_on_loss else OVERFIT_RISE)
    stalled = lowest_loss_epoch(trained, split) if early_stopped_on_loss and overfit is None else None
    return RunFindings(split, len(trained), best_epoch, best_acc, trend, change, since, plateau,
                       tuple(sorted(spikes, key=lambda s: s.epoch)), gap, overfit, rise, stalled)  # fmt: skip


def trend_of(acc: list[tuple[int, float]]) -> tuple[str | None, float | None, int | None]:
    """("rising" | "falling" | "flat", the change, the first epoch) over the last TREND_WINDOW epochs of ``acc``
    ((epoch, accuracy) pairs; find passes only the plateau's epochs when there is one, so a plateau is never "rising");
    Nones with fewer than 2 epochs."""
    window = acc[-TREND_WINDOW:]
    if len(window) < 2:
        return None, None, None
    change = window[-1][1] - window[0][1]
    word = "flat" if abs(change) <= FLAT else "rising" if change > 0 else "falling"
    return word, change, window[0][0]


def plateau_since(acc: list[tuple[int, float]]) -> int | None:
    """The start k of the longest run-final stretch in which no epoch beat an earlier epoch of the stretch by more than
    FLAT (for each epoch i from k on: the best accuracy after i minus the accuracy at i is at most FLAT), when at least
    PLATEAU_MIN epochs follow k; None otherwise. So nothing after k rose above k's own value by more than FLAT."""
    start, best_after = len(acc), -math.inf
    for i in range(len(acc) - 1, -1, -1):
        if best_after - acc[i][1] > FLAT:
            break
        start, best_after = i, max(best_after, acc[i][1])
    if len(acc) - 1 - start < PLATEAU_MIN:
        return None
    return acc[start][0]


def loss_spikes(rows: list[dict[str, float]], column: str, curve: str) -> list[Spike]:
    """Epochs whose ``column`` loss is at least SPIKE_FACTOR times the previous epoch's (epoch 0 counts as previous)."""
    points = [(int(r["epoch"]), r[column]) for r in rows if _finite(r.get(column))]
    return [Spike(curve, e, a, b) for (_, a), (e, b) in itertools.pairwise(points) if a > 0 and b >= SPIKE_FACTOR * a]


def _losses(trained: list[dict[str, float]], split: str) -> list[tuple[int, float, Any]]:
    return [(int(r["epoch"]), r[f"{split}_loss"], r.get("train_loss")) for r in trained if _finite(r.get(f"{split}_loss"))]


def lowest_loss_epoch(trained: list[dict[str, float]], split: str) -> int | None:
    """The epoch of the lowest held-out loss (the first of equals); None without one."""
    losses = _losses(trained, split)
    return min(losses, key=lambda t: (t[1], t[0]))[0] if losses else None


def overfit_from(trained: list[dict[str, float]], split: str, rise: float = OVERFIT_RISE) -> tuple[int | None, float | None]:
    """(the epoch of the lowest held-out loss, the last loss's rise over it as a fraction) when every one of the (at
    least OVERFIT_MIN) epochs after it stayed above that lowest, the last by more than ``rise`` of it, while the
    training loss fell from that epoch to the last; (None, None) otherwise."""
    losses = _losses(trained, split)
    if len(losses) < OVERFIT_MIN + 1:
        return None, None
    at = min(range(len(losses)), key=lambda i: losses[i][1])
    epoch, lowest, train_then = losses[at]
    after = losses[at + 1 :]
    if len(after) < OVERFIT_MIN or not all(v > lowest for _, v, _ in after) or after[-1][1] < lowest * (1 + rise):
        return None, None
    train_last = after[-1][2]
    if not (_finite(train_then) and _finite(train_last) and train_last < train_then):
        return None, None
    return epoch, after[-1][1] / lowest - 1 if lowest > 0 else None


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
        out.append(plateau_sentence(found, by_epoch))
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


def plateau_sentence(found: RunFindings, by_epoch: dict[int, dict[str, float]]) -> str:
    """Since when the held-out accuracy has not improved, with its value there; "plateau" only when it is not falling."""
    k = found.plateau_since
    value = by_epoch.get(k, {}).get(f"{found.split}_acc")
    at = f" ({_pct(value)})" if _finite(value) else ""
    rule = f"no later epoch beat epoch {k}'s accuracy{at} by more than {100 * FLAT:g} percentage points"
    if found.trend == "falling":
        return f"It has not improved since epoch {k}: {rule}, and it has fallen since."
    return f"It has been on a plateau since epoch {k}: {rule}."


def gap_sentence(gap: float, words: str) -> str:
    """The train-minus-held-out accuracy gap at the last epoch, said with what it suggests."""
    points = 100 * gap
    if points > 5:
        meaning = "the network fits its training data much better than new data"
    elif points < -2:
        meaning = ("held-out accuracy is higher: training accuracy is averaged over the epoch while the weights still "
                   "improve, and augmentation or dropout, when used, lower it further")
    else:
        meaning = "the two are close"
    side = "above" if points >= 0 else "below"
    return f"At the last epoch training accuracy was {abs(points):.1f} percentage points {side} {words} accuracy: {meaning}."


def overfit_sentence(found: RunFindings, by_epoch: dict[int, dict[str, float]], words: str) -> str:
    """Where over-fitting began, with the losses that show it, or that it did not."""
    if found.stalled_from is not None:
        return (f"Early stopping found the {words} loss no longer improving after epoch {found.stalled_from}, but the training loss "
                "did not fall either: the run stalled rather than over-fitted.")  # fmt: skip
    if found.overfit_from is None:
        return f"There is no sustained over-fitting: the {words} loss did not keep rising while the training loss fell."
    start, last = by_epoch[found.overfit_from], by_epoch[max(by_epoch)]
    split = found.split
    rise = found.overfit_rise
    size = "" if rise is None else f", {100 * rise:.1f}% higher" + (", a slight rise" if rise < OVERFIT_RISE else "")
    return (f"Over-fitting began after epoch {found.overfit_from}: the {words} loss was lowest there ({start[f'{split}_loss']:.4g}) "
            f"and stayed above it, to {last[f'{split}_loss']:.4g} at epoch {int(last['epoch'])}{size}, while the training loss fell "
            f"from {start['train_loss']:.3g} to {last['train_loss']:.3g}.")  # fmt: skip


def lr_find_sentences(found: dict[str, Any], summary: dict[str, Any] | None = None) -> list[str]:
    """An lr range test's findings (summary.json's ``lr_find``) in sentences; one still running (``summary``'s status)
    says its range and how far it is, its findings being written when it ends."""
    if (summary or {}).get("status") == RunStatus.RUNNING:
        live = (summary or {}).get("live")
        moving = isinstance(live, LiveState) and live.steps
        done = f"it has taken {live.step} of {live.steps} steps so far" if moving else "it has just begun"
        sweep = f"from {found['start_lr']:g} to {found['end_lr']:g} over {found.get('steps', '?')} steps" if "start_lr" in found else ""
        return [f"It sweeps the learning rate {sweep}; {done}." if sweep else f"It sweeps the learning rate; {done}.",
                "Its curve, suggested learning rate and divergence are written when it ends: ask again then."]  # fmt: skip
    out = [f"It swept the learning rate from {found.get('start_lr', 0):g} to {found.get('end_lr', 0):g} and took "
           f"{found.get('steps_done', 0)} of {found.get('steps', 0)} steps."]  # fmt: skip
    if found.get("suggested_lr") is not None:
        out.append(f"The suggested learning rate is {found['suggested_lr']:.3g}, by the rule: {found.get('rule')}.")
    if found.get("diverged_lr") is not None:
        out.append(f"The loss diverged at learning rate {found['diverged_lr']:.3g}: {found.get('diverged_reason')}.")
    else:
        out.append("The loss did not diverge in the range swept.")
    names = {f.name for f in fields(LrSuggestion)}
    if _finite(found.get("config_lr")) and names - {"collapse"} <= found.keys():  # collapse: not in older records
        where = where_lr_sits(found["config_lr"], LrSuggestion(**{k: found[k] for k in names if k in found}))
        out.append(f"Its config's {where}." if where.startswith("optim.lr") else f"{where[0].upper()}{where[1:]}.")
    return out
