"""A LessonView as plain text, wrapped to a width: what ``rdfia-tui lesson`` prints (the console draws the same
view with its own styles, reports with theirs)."""

from __future__ import annotations

import textwrap

from rdfia_tui.engine.lessons.view import LessonView

ADD_ONE = "This preset has no lesson; add a [lesson] table to its file (see docs/lessons.md). Computed values:"


def _wrapped(text: str, width: int, indent: str = "") -> list[str]:
    return textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False) or [indent]


def lesson_lines(view: LessonView, width: int = 100) -> list[str]:
    """The lesson's heading, question, what to watch, the report's errors and each computed quantity, as lines of at
    most ``width`` characters (formula lines are never wrapped: they are cut short with an ellipsis)."""
    lines: list[str] = []
    lesson = view.lesson
    if lesson is None:
        lines += _wrapped(f"{view.preset}: {ADD_ONE}", width)
    else:
        lines += [f"{view.preset} · {lesson.heading}", ""]
        lines += _wrapped(f"Question: {lesson.question}", width)
        lines += _wrapped(f"Watch: {lesson.watch}", width)
        for erratum in lesson.errata:
            lines += ["", *_wrapped(f"The report ({erratum.question}): {erratum.report}", width)]
            lines += _wrapped(f"Correct: {erratum.correct}", width, "  ")  # the console says it the same way
    for block in view.blocks:
        lines += ["", block.title]
        for line in block.lines:
            lines += _kept(line, width, "  ")
        for problem in block.problems:
            lines += _kept(f"✗ {problem}", width, "  ")
    return lines


def _kept(line: str, width: int, indent: str) -> list[str]:
    """A formula line as it is when it fits; else wrapped under itself, its leading spaces (the columns) kept."""
    if len(indent + line) <= width:
        return [indent + line]
    lead = indent + " " * (len(line) - len(line.lstrip(" ")))
    return textwrap.wrap(line.strip(), width, initial_indent=lead, subsequent_indent=lead + "    ", break_on_hyphens=False)
