"""A Document as Markdown (GitHub's flavour): pipe tables, fenced monospace blocks, and each figure a PNG in a folder
beside the file, linked by a relative path. Text from the runs is escaped so that it never turns into markup or HTML."""

from __future__ import annotations

import re
from collections.abc import Callable

from rdfia_tui.engine.report.document import Document, Element, Figure, Paragraph, Preformatted, Problems, Section, SideBySide, Table

LinkOf = Callable[[Figure], str]  # a figure's PNG, as a path relative to the Markdown file

_INLINE = re.compile(r"([\\`*_\[\]|~])")  # markup anywhere in a line
_LINE_MARK = re.compile(r"^([#>+=-])")  # markup only at the start of a line: heading, quote, list
_LINE_NUMBER = re.compile(r"^(\d+)([.)])(?=\s|$)")  # "1. " starts a numbered list


def text(value: str, *, line_start: bool = True) -> str:
    """Plain text as Markdown shows it literally, on one line: the punctuation that would be markup backslash-escaped,
    & and < as entities (Markdown lets raw HTML through). ``line_start``: the text begins a line (not a table cell)."""
    value = _INLINE.sub(r"\\\1", " ".join(value.replace("&", "&amp;").replace("<", "&lt;").split()))
    if not line_start:
        return value
    return _LINE_NUMBER.sub(r"\1\\\2", _LINE_MARK.sub(r"\\\1", value))


def _paragraph(item: Paragraph, link_of: LinkOf) -> str:
    return f"**{text(item.lead)}** {text(item.text, line_start=False)}" if item.lead else text(item.text)


def _row(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(text(c, line_start=False) or " " for c in cells) + " |"


def _table(item: Table, link_of: LinkOf) -> str:
    rule = tuple("---:" if i in item.numeric else "---" for i in range(len(item.headers)))
    lines = [f"**{text(item.caption)}**", ""] if item.caption else []
    lines += [_row(item.headers), "| " + " | ".join(rule) + " |", *(_row(r) for r in item.rows)]
    return "\n".join(lines)


def _preformatted(item: Preformatted, link_of: LinkOf) -> str:
    body = "\n".join(item.lines)
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)  # a fence longer than any run of backticks inside
    return f"#### {text(item.title)}\n\n{fence}text\n{body}\n{fence}"


def _problems(item: Problems, link_of: LinkOf) -> str:
    return "\n>\n".join(f"> **Problem:** {text(line)}" for line in item.lines)


def _figure(item: Figure, link_of: LinkOf) -> str:
    return f"![{text(item.description, line_start=False)}]({link_of(item)})"


def _side(item: SideBySide, link_of: LinkOf) -> str:
    return "\n\n".join(element(part, link_of) for part in item.items)


RENDERERS: dict[type, Callable[[object, LinkOf], str]] = {
    Paragraph: _paragraph, Table: _table, Preformatted: _preformatted, Problems: _problems, Figure: _figure, SideBySide: _side,
}  # fmt: skip


def element(item: Element, link_of: LinkOf) -> str:
    """One element's Markdown."""
    return RENDERERS[type(item)](item, link_of)


def section(item: Section, link_of: LinkOf) -> str:
    """A section's heading and its elements, separated by blank lines."""
    return "\n\n".join([f"{'#' * item.level} {text(item.title)}", *(element(part, link_of) for part in item.items)])


def render_markdown(doc: Document, link_of: LinkOf) -> str:
    """The whole Markdown file."""
    parts = [f"# {text(doc.title)}", f"*{text(doc.byline)}*", *(section(s, link_of) for s in doc.sections)]
    return "\n\n".join(parts) + "\n"
