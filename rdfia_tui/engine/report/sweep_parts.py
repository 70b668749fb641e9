"""A sweep in a report: what it is, its grid (the swept keys, status, final and best test accuracy of every point) and
every point's test curves overlaid, one labelled line per point."""

from __future__ import annotations

from rdfia_tui.engine.report import numbers
from rdfia_tui.engine.report.curves import overlays
from rdfia_tui.engine.report.document import Element, Paragraph, Section, Table
from rdfia_tui.engine.report.gather import SweepData, SweepPoint


def point_label(sweep: SweepData, point: SweepPoint) -> str:
    """A point's legend label: its swept values ("lr=0.1, batch_size=32"), and its seed when the sweep repeats seeds."""
    parts = [f"{key.rsplit('.', 1)[-1]}={point.labels[key]}" for key in sweep.keys]
    if int(sweep.doc.get("seeds") or 1) > 1:
        parts.append(f"seed={point.seed}")
    return ", ".join(parts) or f"point {point.index}"


def grid_table(sweep: SweepData) -> Table:
    """One row per point: its index, the swept keys' values, seed, status, epochs, final and best test accuracy, time."""
    rows = []
    for point in sweep.points:
        r = point.result
        rows.append((str(point.index), *(point.labels[k] for k in sweep.keys), "-" if point.seed is None else str(point.seed),
                     str(r.get("status", "pending")), str(r.get("epochs_completed", 0)), numbers.pct(r.get("final_test_acc")),
                     numbers.at_epoch(r.get("best_test_acc"), r.get("best_epoch")), numbers.seconds(r.get("duration_s"))))  # fmt: skip
    headers = ("point", *sweep.keys, "seed", "status", "epochs", "final test", "best test", "time")
    first = 1 + len(sweep.keys)
    return Table(headers, tuple(rows), frozenset({0, first, first + 2, first + 3, first + 4, first + 5}))


def sweep_sections(sweep: SweepData, anchor: str) -> list[Section]:
    """The sweep's section: what was swept, the grid, and the overlaid curves of the points that have a run."""
    done = sum(1 for p in sweep.points if p.result.get("run_dir"))
    description = str(sweep.doc.get("description") or "").strip()
    source = sweep.doc.get("source") or sweep.doc.get("name", "?")
    status = f"status {sweep.doc.get('status', '?')}; {done} of {len(sweep.points)} points have a run"
    items: list[Element] = [
        Paragraph(f"Sweep of {source}" + (f": {description}" if description else ".")),
        Paragraph(f"Swept: {', '.join(sweep.keys) or 'nothing'}; {status}."),
        grid_table(sweep),
    ]
    with_runs = [(point_label(sweep, p), p.run) for p in sweep.points if p.run is not None]
    if with_runs:
        items.append(overlays(sweep.name, "point", with_runs, f"{anchor}-curves"))
    return [Section(f"Sweep {sweep.name}", anchor, 2, tuple(items))]
