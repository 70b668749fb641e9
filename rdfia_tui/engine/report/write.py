"""Write a report file: HTML with its figures inline, or Markdown with its figures as PNG files in ``<name>_files/``
beside it. Every figure is drawn before anything is written, and each file is written whole or not at all."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from rdfia_tui.engine.errors import RdfiaError
from rdfia_tui.engine.report import figures
from rdfia_tui.engine.report.build import build_document
from rdfia_tui.engine.report.document import Document
from rdfia_tui.engine.report.gather import gather
from rdfia_tui.engine.report.html import render_html
from rdfia_tui.engine.report.markdown import render_markdown
from rdfia_tui.engine.runs.files import atomic_replace, atomic_write


class ReportError(RdfiaError):
    """A report cannot be written as asked (an output name it cannot write)."""

    exit_code = 2


def write_html(doc: Document, out: Path) -> None:
    """One self-contained page: each figure an inline SVG."""
    svgs = {f.slug: figures.inline_svg(figures.render(f.plot, "svg"), f.slug) for f in doc.figures()}
    atomic_write(out, render_html(doc, lambda f: svgs[f.slug]))


def figures_folder(out: Path) -> Path:
    """Where a Markdown report's PNG files go: ``<out's stem>_files`` beside it."""
    return out.with_name(f"{out.stem}_files")


def write_markdown(doc: Document, out: Path) -> None:
    """The Markdown file, after its PNG figures (in figures_folder) are all written."""
    pngs = {f.slug: figures.render(f.plot, "png") for f in doc.figures()}
    folder = figures_folder(out)
    if pngs:
        try:
            folder.mkdir(exist_ok=True)
        except OSError as exc:
            raise ReportError(f"cannot make {folder} for the report's figures ({exc.strerror or exc})") from None
    for slug, data in pngs.items():
        atomic_replace(folder / f"{slug}.png", lambda fh, data=data: fh.write(data))
    atomic_write(out, render_markdown(doc, lambda f: f"{quote(folder.name)}/{f.slug}.png"))


WRITERS: dict[str, Callable[[Document, Path], None]] = {".html": write_html, ".htm": write_html, ".md": write_markdown}


def check_out(out: Path) -> None:
    """Refuse (ReportError, one line) an output file whose suffix names no format this writes."""
    if out.suffix.lower() not in WRITERS:
        raise ReportError(f"--out {out}: give a file ending in .html, .htm or .md (the report's format follows the suffix)")


def default_out(name: str, folder: Path) -> Path:
    """``report-<name>.html`` in ``folder``: the report of a run (or sweep) named ``name``."""
    return folder / f"report-{name}.html"


def write_report(folders: list[Path], out: Path | None = None, *, default_folder: Path | None = None) -> Path:
    """Write the report of run and sweep ``folders`` to ``out`` (by default report-<first name>.html in
    ``default_folder``, the current folder when None) and return its path.

    Raises ReportError for an output suffix other than .html, .htm or .md, MatplotlibMissing without matplotlib,
    RecordError for a folder that cannot be read and RecordWriteError when the file cannot be written.
    """
    if out is not None:
        check_out(out)
    figures.require_matplotlib()  # without it: said before any folder is read
    report = gather(folders)
    out = out if out is not None else default_out(report.first_name, default_folder or Path.cwd())
    WRITERS[out.suffix.lower()](build_document(report), out)
    return out
