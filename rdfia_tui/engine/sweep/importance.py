"""Hyper-parameter importance of a sweep: how much of the variance of final test accuracy each swept key explains.

Method: the functional-ANOVA main-effect decomposition of Hutter, Hoos & Leyton-Brown (2014), "An Efficient
Approach for Assessing Hyperparameter Importance" (ICML), computed exactly on the sweep's grid instead of on a
random-forest surrogate. With y(c) the final test accuracy of grid cell c (the mean over its seeds), all cells
weighted equally:

    V        = Var_c y(c)                              (the total variance over the grid)
    m_k(l)   = mean of y(c) over the cells whose key k is at level l   (k's marginal)
    V_k      = Var_l m_k(l)                            (k's main effect; each level weighted equally)
    share_k  = V_k / V,     interactions = 1 - sum_k share_k

On a full grid the shares and the interactions are non-negative and sum to 1 (Sobol's decomposition of a
function on a product of finite uniform sets). Seeds are averaged in each cell first, so seed-to-seed noise is
not part of V.

Points without a final accuracy are never hidden; each treatment is one note in the result:
- completed or early-stopped: its final test accuracy (the grid's value);
- diverged: counted at chance, 1/classes, when the number of classes is known (a network that blew up predicts
  no better than a guess), otherwise left out;
- stopped, failed, pruned (ASHA), running, pending: left out (no final accuracy).
A grid that lacks some cells is decomposed over the cells it has, with the marginals over those cells: the
shares are then approximate and may not sum to 1 (the interactions are shown as the remainder, at least 0).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdfia_tui.engine.runs.status import RunStatus

METHOD = "functional ANOVA main effects over the grid (Hutter, Hoos & Leyton-Brown 2014)"
METHOD_SHORT = "fANOVA, Hutter et al. 2014"  # where a line is narrow (the console's grid panel)
FLAT = 1e-12  # a total variance below this (accuracy², i.e. under 1e-4 points of spread) means no key matters


@dataclass(frozen=True)
class KeyImportance:
    """One swept key (axis): its share of the variance (0-1; None when its present cells hold one level only) and
    the level whose marginal mean accuracy (0-1) is highest."""

    axis: str
    share: float | None
    best_label: str
    best_mean: float


@dataclass(frozen=True)
class Importance:
    """The decomposition of one sweep. ``verdict`` is one line when it cannot tell (then ``keys`` is empty);
    ``notes`` say how points without a final accuracy were treated; ``cells`` is (cells with a value, cells)."""

    method: str
    keys: tuple[KeyImportance, ...] = ()
    interactions: float | None = None
    cells: tuple[int, int] = (0, 0)
    notes: tuple[str, ...] = ()
    verdict: str | None = None


def _point_value(point: Mapping[str, Any], chance: float | None) -> float | None:
    status = RunStatus.of(point.get("status"), RunStatus.FAILED)
    if status.succeeded and isinstance(point.get("final_test_acc"), int | float):  # completed or early-stopped
        return float(point["final_test_acc"])
    if status == RunStatus.DIVERGED and chance is not None:
        return chance
    return None


def _notes(points: Sequence[Mapping[str, Any]], chance: float | None) -> list[str]:
    notes = []
    diverged = sum(1 for p in points if p.get("status") == RunStatus.DIVERGED)
    if diverged:
        at = f"counted at chance ({100 * chance:.1f}%)" if chance is not None else "left out (the number of classes is unknown)"
        notes.append(f"{diverged} diverged point{'s' * (diverged > 1)} {at}")
    left: dict[str, int] = {}
    for p in points:
        status = str(p.get("status") or "pending")
        if status != RunStatus.DIVERGED and _point_value(p, chance) is None:
            left[status] = left.get(status, 0) + 1
    if left:
        plural = "s" * (sum(left.values()) > 1)
        notes.append(", ".join(f"{n} {s}" for s, n in sorted(left.items())) + f" point{plural} left out (no final accuracy)")
    return notes


def _variance(values: Sequence[float]) -> float:
    mean = sum(values) / len(values)
    return sum((v - mean) ** 2 for v in values) / len(values)


def cell_means(doc: Mapping[str, Any], chance: float | None = None) -> dict[tuple[int, ...], float]:
    """Grid cell (its ``choice``, one level index per axis) -> mean final test accuracy (0-1) of its points that
    count (see the module docstring); cells without one are absent."""
    by_cell: dict[tuple[int, ...], list[float]] = {}
    for p in doc.get("points", []):
        value = _point_value(p, chance)
        if value is not None and p.get("choice") is not None:
            by_cell.setdefault(tuple(p["choice"]), []).append(value)
    return {cell: sum(vs) / len(vs) for cell, vs in by_cell.items()}


def importance(doc: Mapping[str, Any], chance: float | None = None) -> Importance:
    """The main-effect shares of a sweep.json mapping (``labels``: axis -> level labels; ``points`` with ``choice``,
    ``status``, ``final_test_acc`` as a 0-1 fraction). ``chance`` (0-1) is what a diverged point counts as; None
    leaves diverged points out. Never raises for a sweep it cannot judge: ``verdict`` says why, in one line."""
    axes = list(doc.get("labels", {}).items())
    points = doc.get("points", [])
    notes = _notes(points, chance)
    means = cell_means(doc, chance)
    total = 1
    for _, labels in axes:
        total *= max(1, len(labels))
    cannot = _cannot_tell(axes, means)
    if cannot:
        return Importance(METHOD, cells=(len(means), total), notes=tuple(notes), verdict=cannot)
    values = list(means.values())
    variance = _variance(values)
    if variance < FLAT:
        verdict = f"cannot tell: every cell reached the same final test accuracy ({100 * values[0]:.2f}%)"
        return Importance(METHOD, cells=(len(means), total), notes=tuple(notes), verdict=verdict)
    if int(doc.get("seeds", 1)) > 1:
        notes.append(f"the {doc['seeds']} seeds of each cell averaged first: seed-to-seed noise is not part of the variance")
    if len(means) < total:
        notes.append(f"{total - len(means)} of {total} grid cells have no result: marginals over the cells present (approximate)")
    keys = [_main_effect(i, name, labels, means, variance) for i, (name, labels) in enumerate(axes)]
    known = [k.share for k in keys if k.share is not None]
    keys.sort(key=lambda k: -1.0 if k.share is None else k.share, reverse=True)
    return Importance(METHOD, tuple(keys), max(0.0, 1 - sum(known)), (len(means), total), tuple(notes))


def _cannot_tell(axes: Sequence[tuple[str, Sequence[str]]], means: Mapping[tuple[int, ...], float]) -> str | None:
    """Why the shares would say nothing, in one line; None when they can be computed. An axis of one value is
    not a swept key (``--grid train.batch_size=10`` fixes it): it is not counted."""
    varied = [name for name, labels in axes if len(labels) >= 2]
    if len(varied) < 2:
        which = f"one key varies ({varied[0]}): it" if varied else "no key varies: nothing"
        return f"cannot tell: {which} explains all the variance by construction; importance compares two or more varied keys"
    if len(means) < 2:
        return f"cannot tell: {len(means)} grid cell{'s' * (len(means) != 1)} with a final accuracy; importance needs two or more cells"
    return None


def _main_effect(
    index: int, name: str, labels: Sequence[str], means: Mapping[tuple[int, ...], float], variance: float
) -> KeyImportance:
    by_level: dict[int, list[float]] = {}
    for cell, value in means.items():
        by_level.setdefault(cell[index], []).append(value)
    marginal = {level: sum(vs) / len(vs) for level, vs in by_level.items()}
    best = max(marginal, key=lambda level: marginal[level])
    label = labels[best] if best < len(labels) else str(best)
    # a key swept over one level explains nothing; one whose present cells hold one of its levels cannot be judged
    share = _variance(list(marginal.values())) / variance if len(marginal) > 1 else (0.0 if len(labels) < 2 else None)
    return KeyImportance(name, share, label, marginal[best])


def chance_of(sweep_dir: Path, doc: Mapping[str, Any]) -> float | None:
    """1/classes for a sweep's data, from the first of its run folders whose summary.json names the classes; None
    when none does (diverged points are then left out of the importance)."""
    from rdfia_tui.engine.errors import RecordError
    from rdfia_tui.engine.runs.summary import read_summary

    for point in doc.get("points", []):
        if not point.get("run_dir"):
            continue
        try:
            names = read_summary(sweep_dir / point["run_dir"]).get("class_names") or []
        except (RecordError, OSError):
            continue
        if names:
            return 1 / len(names)
    return None


def importance_rows(result: Importance) -> tuple[list[str], list[list[str]]]:
    """The table the CLI and the console show: headers, then one row per key (largest share first) and one for the
    interactions; shares and accuracies in percent."""
    rows = [
        [k.axis, "-" if k.share is None else f"{100 * k.share:.1f}%", f"{k.best_label} ({100 * k.best_mean:.1f}%)"] for k in result.keys
    ]
    if result.interactions is not None:
        rows.append(["interactions", f"{100 * result.interactions:.1f}%", ""])
    return ["swept key", "share", "best level (mean)"], rows


def importance_title(short: bool = False) -> str:
    """The line above the table: what is decomposed, and by which method (``short``: for a narrow panel)."""
    if short:
        return f"variance share ({METHOD_SHORT})"
    return "hyper-parameter importance: each swept key's share of the variance of final test accuracy"
