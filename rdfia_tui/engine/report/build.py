"""The report of some runs and sweeps as a Document: an overview when there are several runs (their numbers, the config
keys that differ, their test curves overlaid), then a section per run and per sweep."""

from __future__ import annotations

import time

from rdfia_tui import __version__
from rdfia_tui.engine.report import curves, run_parts
from rdfia_tui.engine.report.document import Document, Element, Figure, Paragraph, Section, SideBySide
from rdfia_tui.engine.report.gather import ReportInput, RunData
from rdfia_tui.engine.report.lesson_parts import lesson_section
from rdfia_tui.engine.report.sweep_parts import sweep_sections


def compared_sections(runs: tuple[RunData, ...]) -> list[Section]:
    """With several runs: their numbers side by side, the config keys that differ, and their test curves overlaid."""
    if len(runs) < 2:
        return []
    labelled = [(r.name, r) for r in runs]
    return [
        Section("Results", "results", 2, (run_parts.results_table(runs),)),
        Section("Config differences", "config-differences", 2, (run_parts.differences_table(runs),)),
        Section("Test curves compared", "compared", 2, (curves.overlays("runs compared", "run", labelled, "compared"),)),
    ]


def run_sections(run: RunData, anchor: str, alone: bool) -> list[Section]:
    """One run: its preset, its results and whole config when ``alone`` (else the overview holds them), its layers,
    curves, confusion matrix with per-class accuracy, and its lesson."""
    head: list[Element] = [run_parts.intro(run)]
    if alone:
        head.append(run_parts.results_table((run,)))
    sections = [Section(f"Run {run.name}", anchor, 2, tuple(head))]
    if alone:
        sections.append(Section("Config", f"{anchor}-config", 3, (run_parts.config_table(run),)))
    sections.append(Section("Layers", f"{anchor}-layers", 3, (run_parts.layers_table(run),)))
    if run.epochs:
        sections.append(Section("Loss and accuracy per epoch", f"{anchor}-curves", 3, (curves.run_curves(run, anchor),)))
    else:
        sections.append(Section("Loss and accuracy per epoch", f"{anchor}-curves", 3, (Paragraph("No epoch was recorded."),)))
    if run.confusion:
        plot = curves.confusion_plot(run)
        matrix = SideBySide((Figure(f"{anchor}-confusion", plot, f"{run.name}: {plot.title}"), run_parts.per_class_table(run)))
        sections.append(Section("Test confusion matrix and per-class accuracy", f"{anchor}-confusion", 3, (matrix,)))
    lesson = lesson_section(run, f"{anchor}-lesson")
    return [*sections, *([lesson] if lesson else [])]


def title_of(report: ReportInput) -> str:
    """The title: 'Training report: <name>' for one run or sweep, else how many of each."""
    named = [*report.runs, *report.sweeps]
    if len(named) == 1:
        return f"Training report: {named[0].name}"
    parts = [f"{n} {word}{'s' if n > 1 else ''}" for n, word in ((len(report.runs), "run"), (len(report.sweeps), "sweep")) if n]
    return f"Training report: {' and '.join(parts)}"


def build_document(report: ReportInput, now: float | None = None) -> Document:
    """The whole report; ``now`` (Unix seconds) is when it says it was written."""
    stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(now))
    sections = compared_sections(report.runs)
    for i, run in enumerate(report.runs, start=1):
        sections += run_sections(run, f"run-{i}", alone=len(report.runs) == 1)
    for i, sweep in enumerate(report.sweeps, start=1):
        sections += sweep_sections(sweep, f"sweep-{i}")
    return Document(title_of(report), f"Written {stamp} by rdfia-tui {__version__}.", tuple(sections))
