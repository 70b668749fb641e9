"""A Document as one self-contained HTML page: inline CSS, figures as inline SVG, no script, no link, no web font and
no address outside the file, so it opens offline and travels as an e-mail attachment. Every text is escaped."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from rdfia_tui.engine.report.document import Document, Element, Figure, Paragraph, Preformatted, Problems, Section, SideBySide, Table

SvgOf = Callable[[Figure], str]  # a figure as inline <svg> markup (figures.inline_svg)

CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1b1b1b;
       max-width: 1180px; margin: 0 auto; padding: 1.5rem 1.5rem 4rem; line-height: 1.45; font-size: 15px; }
h1 { font-size: 1.7rem; margin: 0 0 .2rem; }
h2 { font-size: 1.35rem; margin: 2.4rem 0 .6rem; padding-top: .6rem; border-top: 2px solid #0072B2; }
h3 { font-size: 1.08rem; margin: 1.6rem 0 .5rem; }
h4 { font-size: .95rem; margin: 1rem 0 .3rem; }
.byline { color: #555; margin: 0 0 1rem; }
nav ul { margin: .3rem 0; padding-left: 1.2rem; columns: 2; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: 13.5px; }
caption { text-align: left; font-weight: 600; padding: .2rem 0; }
th, td { border: 1px solid #d0d7de; padding: .25rem .55rem; vertical-align: top; text-align: left; }
thead th { background: #eef2f6; }
thead th.num { white-space: normal; overflow-wrap: anywhere; }  /* a long run name over a column wraps, not widens the page */
tbody th { background: #f6f8fa; font-weight: 600; white-space: nowrap; }
tbody tr:nth-child(even) td { background: #fafbfc; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.side { display: flex; flex-wrap: wrap; gap: 1rem 1.5rem; align-items: flex-start; }
.side > * { flex: 1 1 440px; min-width: 0; }
figure.plot { margin: .3rem 0 1rem; }
figure.plot svg { width: 100%; height: auto; max-width: 760px; display: block; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; padding: .6rem .8rem; overflow-x: auto; font-size: 12.5px;
      line-height: 1.35; margin: .2rem 0 .8rem; }
.problems { background: #fff4e5; border-left: 4px solid #D55E00; padding: .4rem .8rem; margin: .2rem 0 1rem; }
.problems p { margin: .2rem 0; }
@media print { body { max-width: none; } h2 { break-before: auto; } figure, table, pre { break-inside: avoid; } }
"""


def _paragraph(item: Paragraph, svg_of: SvgOf) -> str:
    lead = f"<strong>{escape(item.lead)}</strong> " if item.lead else ""
    return f"<p>{lead}{escape(item.text)}</p>"


def _cell(tag: str, text: str, numeric: bool) -> str:
    kind = ' class="num"' if numeric else ""
    return f"<{tag}{kind}>{escape(text)}</{tag}>"


def _table(item: Table, svg_of: SvgOf) -> str:
    caption = f"<caption>{escape(item.caption)}</caption>" if item.caption else ""
    head = "".join(_cell("th", h, i in item.numeric) for i, h in enumerate(item.headers))
    body = []
    for row in item.rows:
        cells = [_cell("th" if i == 0 and item.row_headers else "td", text, i in item.numeric) for i, text in enumerate(row)]
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _preformatted(item: Preformatted, svg_of: SvgOf) -> str:
    text = "\n".join(item.lines)
    return f"<h4>{escape(item.title)}</h4><pre>{escape(text)}</pre>"


def _problems(item: Problems, svg_of: SvgOf) -> str:
    lines = "".join(f"<p><strong>⚠ Problem:</strong> {escape(line)}</p>" for line in item.lines)
    return f'<div class="problems">{lines}</div>'


def _figure(item: Figure, svg_of: SvgOf) -> str:
    return f'<figure class="plot" role="img" aria-label="{escape(item.description)}">{svg_of(item)}</figure>'


def _side(item: SideBySide, svg_of: SvgOf) -> str:
    return f'<div class="side">{"".join(f"<div>{element(part, svg_of)}</div>" for part in item.items)}</div>'


RENDERERS: dict[type, Callable[[object, SvgOf], str]] = {
    Paragraph: _paragraph, Table: _table, Preformatted: _preformatted, Problems: _problems, Figure: _figure, SideBySide: _side,
}  # fmt: skip


def element(item: Element, svg_of: SvgOf) -> str:
    """One element's HTML."""
    return RENDERERS[type(item)](item, svg_of)


def section(item: Section, svg_of: SvgOf) -> str:
    """A section's heading (with its anchor) and its elements."""
    heading = f'<h{item.level} id="{escape(item.anchor)}">{escape(item.title)}</h{item.level}>'
    return "\n".join([heading, *(element(part, svg_of) for part in item.items)])


def contents(doc: Document) -> str:
    """Links to the top-level sections, when there are more than one."""
    top = [s for s in doc.sections if s.level == 2]
    if len(top) < 2:
        return ""
    links = "".join(f'<li><a href="#{escape(s.anchor)}">{escape(s.title)}</a></li>' for s in top)
    return f"<nav><strong>Contents</strong><ul>{links}</ul></nav>"


def render_html(doc: Document, svg_of: SvgOf) -> str:
    """The whole page."""
    body = "\n".join(section(s, svg_of) for s in doc.sections)
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(doc.title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f'<h1>{escape(doc.title)}</h1>\n<p class="byline">{escape(doc.byline)}</p>\n{contents(doc)}\n{body}\n</body>\n</html>\n'
    )
