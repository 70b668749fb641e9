"""What is data in an image folder: the class folders, and the files under them (no torch)."""

from __future__ import annotations

import os
from pathlib import Path

from rdfia_tui.engine.errors import DataError

TOOL_NAMES = frozenset(
    {"__MACOSX", "__pycache__", "@eaDir", "$RECYCLE.BIN", "System Volume Information", "lost+found", "Thumbs.db", "desktop.ini"}
)
SPLITS = ("train", "test")


def ignored_name(name: str) -> bool:
    """True for hidden names (a leading dot), editor backups (a trailing ~) and the files and folders tools leave."""
    return name.startswith(".") or name.endswith("~") or name in TOOL_NAMES


def walk(folder: Path) -> tuple[list[Path], int, list[str]]:
    """Every file under ``folder`` (links followed, sorted), how many hidden or tool entries were passed
    over, and the linked folders not entered because they lead back to a folder already walked (a loop)."""
    files, ignored, loops = [], 0, []
    seen = {os.path.realpath(folder)}
    for root, dirs, names in os.walk(folder, followlinks=True):
        ignored += sum(ignored_name(d) for d in dirs) + sum(ignored_name(n) for n in names)
        kept = []
        for d in sorted(d for d in dirs if not ignored_name(d)):
            real = os.path.realpath(os.path.join(root, d))
            if real in seen or folder.resolve().is_relative_to(real):
                loops.append(os.path.join(root, d))
            else:
                seen.add(real)
                kept.append(d)
        dirs[:] = kept
        files.extend(Path(root) / n for n in sorted(names) if not ignored_name(n))
    return files, ignored, loops


def class_folders(split: Path) -> tuple[tuple[str, ...], list[str]]:
    """The class names under ``split`` (sorted) and the entries beside them that are not classes."""
    classes, passed = [], []
    for entry in sorted(split.iterdir()):
        if entry.is_dir() and not ignored_name(entry.name):
            classes.append(entry.name)
        else:
            passed.append(f"{split.name}/{entry.name}" + ("/" if entry.is_dir() else ""))
    return tuple(classes), passed


def check_layout(base: Path) -> None:
    """Raise DataError (one line) unless ``base`` is a folder holding ``train/`` and ``test/`` folders."""
    if not base.is_dir():
        raise DataError(f"data.path: {base} is not a folder; give a folder holding train/ and test/ class folders")
    for split in SPLITS:
        if not (base / split).is_dir():
            raise DataError(f"{base}: no {split}/ folder; an image folder needs train/<class>/ and test/<class>/")
