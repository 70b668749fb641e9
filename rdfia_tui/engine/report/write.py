"""Write a report file: HTML with its figures inline, or Markdown with its figures as PNG files in ``<name>_files/``
beside it. Where it goes is checked before any run is read; every figure is drawn before anything is written, and each
file is written whole or not at all. A Markdown report's figures are named ``rdfia-tui-<figure>.png``, so that the
same report written again removes its own old figures, and nothing else, from the folder."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
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


FIGURE_PREFIX = "rdfia-tui-"  # every PNG a Markdown report writes begins so: a later report knows its own (and only those)
FIGURE_FILE = re.compile(re.escape(FIGURE_PREFIX) + r"[a-z0-9-]+\.png")


@dataclass(frozen=True)
class Written:
    """A report written: its path, whether it replaced a file of that name, and the figure files of the previous
    Markdown report of that name that this one no longer has (removed)."""

    path: Path
    replaced: bool = False
    removed: tuple[Path, ...] = ()

    def line(self) -> str:
        """What the command prints: 'wrote FILE' or 'replaced FILE', and the old figures it removed."""
        said = f"{'replaced' if self.replaced else 'wrote'} {self.path}"
        if self.removed:
            count = len(self.removed)
            said += f"; removed {count} figure{'s' if count > 1 else ''} of the previous report from {self.removed[0].parent}"
        return said


def write_html(doc: Document, out: Path) -> tuple[Path, ...]:
    """One self-contained page: each figure an inline SVG. Removes nothing (returns no path)."""
    svgs = {f.slug: figures.inline_svg(figures.render(f.plot, "svg"), f.slug) for f in doc.figures()}
    atomic_write(out, render_html(doc, lambda f: svgs[f.slug]))
    return ()


def figures_folder(out: Path) -> Path:
    """Where a Markdown report's PNG files go: ``<out's stem>_files`` beside it."""
    return out.with_name(f"{out.stem}_files")


def figure_name(slug: str) -> str:
    """The PNG file of the figure ``slug`` in figures_folder."""
    return f"{FIGURE_PREFIX}{slug}.png"


def stale_figures(folder: Path, kept: set[str]) -> list[Path]:
    """The figure files a report of this tool wrote in ``folder`` (named FIGURE_PREFIX…png, plain files) that are not in
    ``kept``; anything else in the folder is never touched."""
    try:
        children = sorted(folder.iterdir())
    except OSError:  # no folder: nothing left behind
        return []
    return [p for p in children if FIGURE_FILE.fullmatch(p.name) and p.name not in kept and p.is_file() and not p.is_symlink()]


def write_markdown(doc: Document, out: Path) -> tuple[Path, ...]:
    """The Markdown file, after its PNG figures (in figures_folder) are all written; then the figures a previous report
    of the same name wrote there and this one does not are removed. Returns the removed paths."""
    pngs = {figure_name(f.slug): figures.render(f.plot, "png") for f in doc.figures()}
    folder = figures_folder(out)
    if pngs:
        try:
            folder.mkdir(exist_ok=True)
        except OSError as exc:
            raise ReportError(f"cannot make {folder} for the report's figures ({exc.strerror or exc})") from None
    for name, data in pngs.items():
        atomic_replace(folder / name, lambda fh, data=data: fh.write(data))
    atomic_write(out, render_markdown(doc, lambda f: f"{quote(folder.name)}/{quote(figure_name(f.slug))}"))
    removed = []
    for old in stale_figures(folder, set(pngs)):  # after the new file: the old one kept its figures until replaced
        try:
            old.unlink()
        except OSError:  # it stays, unused: the report is written all the same
            continue
        removed.append(old)
    return tuple(removed)


WRITERS: dict[str, Callable[[Document, Path], tuple[Path, ...]]] = {".html": write_html, ".htm": write_html, ".md": write_markdown}


def check_out(out: Path) -> None:
    """Refuse (ReportError, one line) an output file whose suffix names no format this writes."""
    if out.suffix.lower() not in WRITERS:
        raise ReportError(f"--out {out}: give a file ending in .html, .htm or .md (the report's format follows the suffix)")


def _writable_folder(folder: Path) -> str:
    """Why a report cannot be written into ``folder`` ('' when it can)."""
    if not folder.exists():
        return f"the folder {folder} does not exist; make it first (mkdir -p {folder})"
    if not folder.is_dir():
        return f"{folder} is not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"cannot write in the folder {folder} (permission denied)"
    return ""


def check_destination(out: Path | None, default_folder: Path | None = None) -> None:
    """Refuse (ReportError, one line naming the folder and what to do), before anything is read or drawn, an ``out``
    that cannot be written: its folder missing, not a folder or not writable, ``out`` itself a folder, or a Markdown
    report's figures folder that is a file. Without ``out``: the folder the report goes to by default."""
    if out is None:
        folder = default_folder or Path.cwd()
        problem = _writable_folder(folder)
        if problem:
            raise ReportError(f"the report goes into {folder} by default, but {problem}; or give --out FILE in a folder you can write to")
        return
    check_out(out)
    problem = _writable_folder(out.parent)
    if problem:
        raise ReportError(f"--out {out}: {problem}; or give --out a file in a folder you can write to")
    if out.is_dir():
        raise ReportError(f"--out {out}: is a folder; give a file name in it (such as {out / 'report.html'})")
    files = figures_folder(out)
    if out.suffix.lower() == ".md" and files.exists():
        problem = "" if files.is_dir() else f"{files} is not a folder"
        problem = problem or _writable_folder(files)
        if problem:
            raise ReportError(f"--out {out}: the figures go into {files}, but {problem}; move it, or give --out another name")


def default_out(name: str, folder: Path) -> Path:
    """``report-<name>.html`` in ``folder``: the report of a run (or sweep) named ``name``."""
    return folder / f"report-{name}.html"


def write_report_file(folders: list[Path], out: Path | None = None, *, default_folder: Path | None = None) -> Written:
    """Write the report of run and sweep ``folders`` to ``out`` (by default report-<first name>.html in
    ``default_folder``, the current folder when None) and say what was done.

    Raises ReportError for an output that cannot be written (its suffix, its folder: said before any run is read),
    MatplotlibMissing without matplotlib, RecordError for a folder that cannot be read and RecordWriteError when the
    file cannot be written.
    """
    check_destination(out, default_folder)
    figures.require_matplotlib()  # without it: said before any folder is read
    report = gather(folders)
    out = out if out is not None else default_out(report.first_name, default_folder or Path.cwd())
    replaced = out.is_file()
    removed = WRITERS[out.suffix.lower()](build_document(report), out)
    return Written(out, replaced, removed)


def write_report(folders: list[Path], out: Path | None = None, *, default_folder: Path | None = None) -> Path:
    """write_report_file's path: where the report was written. Raises what it raises."""
    return write_report_file(folders, out, default_folder=default_folder).path
