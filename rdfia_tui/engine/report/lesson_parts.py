"""A run's lesson in a report: the question, what to watch, the report's errata and the quantities computed for the run
(engine.lessons.view), for the runs whose config has a ``[lesson]`` table."""

from __future__ import annotations

from rdfia_tui.engine.errors import RdfiaError
from rdfia_tui.engine.report.document import Element, Paragraph, Preformatted, Problems, Section, Table
from rdfia_tui.engine.report.gather import RunData


def lesson_section(run: RunData, anchor: str) -> Section | None:
    """The lesson of ``run`` computed from its config and epochs; None when its config has no lesson."""
    if run.config.lesson is None:
        return None
    from rdfia_tui.engine.lessons.view import RunFacts, lesson_view

    lesson = run.config.lesson
    items: list[Element] = [Paragraph(lesson.question, "Question:"), Paragraph(lesson.watch, "What to watch:")]
    if lesson.errata:
        rows = tuple((e.question, e.report, e.correct) for e in lesson.errata)
        items.append(Table(("question", "the report says", "correct"), rows, caption="Errata"))
    try:
        view = lesson_view(run.config, run.epochs, RunFacts(run.n_train, run.steps_per_epoch))
    except RdfiaError as exc:  # a dataset the quantities need cannot be read here: said, not fatal
        items.append(Problems((f"the lesson's quantities cannot be computed: {exc}",)))
    else:
        for block in view.blocks:
            items.append(Preformatted(block.title, tuple(block.lines)))
            if block.problems:
                items.append(Problems(tuple(block.problems)))
    return Section(f"Lesson: {lesson.heading}", anchor, 3, tuple(items))
