"""The parts of a report about runs: their numbers, configs, layer tables and per-class accuracy, as document tables.

Every number comes from the run's own records: summary.json for the final and best test accuracy (0-1 fractions,
shown in %), metrics.csv for the rest.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from rdfia_tui.engine import config as config_mod
from rdfia_tui.engine.config_compare import config_differences, value_text
from rdfia_tui.engine.report import numbers
from rdfia_tui.engine.report.document import Paragraph, Table
from rdfia_tui.engine.report.gather import RunData


def best_val(run: RunData) -> tuple[float | None, int | None]:
    """The highest validation accuracy (0-1) and its epoch (the earliest wins a tie); (None, None) without one."""
    measured = [(m.val_acc, -m.epoch) for m in run.epochs if math.isfinite(m.val_acc)]
    if not measured:
        return None, None
    acc, minus_epoch = max(measured)
    return acc, -minus_epoch


def _last(run: RunData, name: str) -> float | None:
    return getattr(run.epochs[-1], name) if run.epochs else None


def _status(run: RunData) -> str:
    message = str(run.summary.get("message") or "")
    return f"{run.summary.get('status', '?')}: {message}" if message else str(run.summary.get("status", "?"))


def _epochs(run: RunData) -> str:
    return f"{run.summary.get('epochs_completed', 0)} of {run.config.train.epochs}"


# the rows of the results table: a label and the text of one run's value
RESULTS: tuple[tuple[str, Callable[[RunData], str]], ...] = (
    ("status", _status),
    ("epochs trained", _epochs),
    ("wall time", lambda r: numbers.seconds(r.summary.get("duration_s"))),
    ("final test accuracy", lambda r: numbers.pct(r.summary.get("final_test_acc"))),
    ("best test accuracy", lambda r: numbers.at_epoch(r.summary.get("best_test_acc"), r.summary.get("best_epoch"))),
    ("best val accuracy", lambda r: numbers.at_epoch(*best_val(r))),
    ("final train accuracy", lambda r: numbers.pct(_last(r, "train_acc"))),
    ("final train loss", lambda r: numbers.loss(_last(r, "train_loss"))),
    ("final val loss", lambda r: numbers.loss(_last(r, "val_loss"))),
    ("final test loss", lambda r: numbers.loss(_last(r, "test_loss"))),
    ("parameters", lambda r: numbers.count(r.summary.get("params"))),
    ("device", lambda r: str(r.summary.get("device", "-"))),
    ("started", lambda r: str(r.summary.get("started_at") or "-")[:16].replace("T", " ")),
)


def results_table(runs: Sequence[RunData]) -> Table:
    """The final and best numbers, one column per run."""
    rows = tuple((label, *(value(r) for r in runs)) for label, value in RESULTS)
    return Table(("", *(r.name for r in runs)), rows, frozenset(range(1, len(runs) + 1)), row_headers=True)


NBSP = "\u00a0"  # a line breaks between two settings, never inside one


def config_table(run: RunData) -> Table:
    """One run's whole config, a row per section; the keys the config does not use (conv_channels for an MLP) are left out."""
    used: dict[str, list[str]] = {}
    for spec in config_mod.field_specs():
        if spec.used_by(run.config):
            value = value_text(getattr(getattr(run.config, spec.section), spec.name)).replace(" ", NBSP)
            used.setdefault(spec.section, []).append(f"{spec.name}{NBSP}={NBSP}{value}")
    return Table(("section", "settings"), tuple((section, " · ".join(keys)) for section, keys in used.items()), row_headers=True)


def differences_table(runs: Sequence[RunData]) -> Table | Paragraph:
    """The config keys whose values differ between the runs, one column per run; a sentence when none does."""
    differing = config_differences([r.config.to_dict() for r in runs])
    if not differing:
        return Paragraph("The runs have the same config: every key has the same value.")
    rows = tuple((key, *("-" if v is None else value_text(v) for v in values)) for key, values in differing.items())
    return Table(("key", *(r.name for r in runs)), rows, row_headers=True)


def layers_table(run: RunData) -> Table:
    """The layer table as summary.json recorded it: name, kind, output shape, parameters, receptive field (input pixels)."""
    layers = run.summary.get("layers") or {}
    rows = [(str(row.get("name", "")), str(row.get("kind", "")), "×".join(str(d) for d in row.get("out_shape") or ()),
             numbers.count(row.get("params")), "" if row.get("receptive_field") is None else str(row["receptive_field"]))
            for row in layers.get("rows") or ()]  # fmt: skip
    rows.append(("total", "", "", numbers.count(layers.get("total_params", run.summary.get("params"))), ""))
    shape = "×".join(str(d) for d in layers.get("input_shape") or ())
    return Table(("layer", "type", "output", "parameters", "receptive field"), tuple(rows), frozenset({3, 4}),
                 caption=f"input {shape}" if shape else "")  # fmt: skip


def _confused_with(run: RunData, i: int) -> str:
    """The class most often predicted for true class i instead of i, with its count: "dog (123)"; "-" if none."""
    row = run.confusion[i]
    others = [(v, -j) for j, v in enumerate(row) if j != i and v > 0]
    if not others:
        return "-"
    count, minus_j = max(others)
    return f"{run.class_names[-minus_j]} ({count:,})"


def per_class_table(run: RunData) -> Table:
    """Per-class test accuracy from the last confusion matrix: examples, correct, accuracy (%), most often taken for."""
    rows = []
    for i, name in enumerate(run.class_names):
        total, correct = sum(run.confusion[i]), run.confusion[i][i]
        rows.append((name, f"{total:,}", f"{correct:,}", numbers.pct(correct / total if total else None), _confused_with(run, i)))
    return Table(("class", "test examples", "correct", "accuracy", "most often taken for"), tuple(rows), frozenset({1, 2, 3}))


def intro(run: RunData) -> Paragraph:
    """What the run is: its preset and the preset's description."""
    description = run.config.description.strip()
    return Paragraph(f"Preset {run.config.name}" + (f": {description}" if description else "."))
