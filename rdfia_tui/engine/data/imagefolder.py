"""An image folder: ``path/train/<class>/…`` and ``path/test/<class>/…``, listed, checked and decoded.

What counts as a class: every folder directly under ``train/`` except hidden ones (a leading
dot, such as ``.ipynb_checkpoints``) and those that tools and systems leave behind
(``__MACOSX``, ``__pycache__``, ``@eaDir``, …). What counts as an image: every file under a
class folder, at any depth, that Pillow identifies from its content, whatever its extension;
hidden files and tools' files (``.DS_Store``, ``._x.png``, ``Thumbs.db``) are ignored. Nothing
is left out silently: every ignored folder, skipped file and converted mode is counted in the
dataset's report (``summary.json``) and summed up in its notes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rdfia_tui.engine.config import DataConfig
from rdfia_tui.engine.data.folders import SPLITS, check_layout, class_folders, walk
from rdfia_tui.engine.data.images import check_header, read_header, read_image
from rdfia_tui.engine.data.raw import RawDataset, from_arrays
from rdfia_tui.engine.errors import DataError

EXAMPLES_KEPT = 10  # skipped files named in the report, per reason


@dataclass
class SplitSurvey:
    """What listing one split found: counts for the report, and the images with their labels."""

    files: list[Path] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    found: int = 0
    ignored: int = 0
    loops: list[str] = field(default_factory=list)
    not_square: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    skipped_files: dict[str, list[str]] = field(default_factory=dict)
    modes: Counter[str] = field(default_factory=Counter)
    changed: Counter[str] = field(default_factory=Counter)

    def skip(self, file: Path, reason: str) -> None:
        """Count ``file`` as skipped for ``reason``; at most EXAMPLES_KEPT files are named per reason."""
        self.skipped[reason] += 1
        self.skipped_files.setdefault(reason, [])
        if len(self.skipped_files[reason]) < EXAMPLES_KEPT:
            self.skipped_files[reason].append(str(file))

    def to_dict(self) -> dict[str, Any]:
        """The split's counts and examples, for summary.json's data report."""
        return {
            "found": self.found,
            "used": len(self.files),
            "ignored_hidden_or_tool_files": self.ignored,
            "link_loops_not_followed": self.loops,
            "not_square": self.not_square,
            "skipped": dict(self.skipped),
            "skipped_examples": self.skipped_files,
            "modes": dict(self.modes),
            "changed": dict(self.changed),
        }


@dataclass(frozen=True)
class FolderListing:
    """The images of an image folder and their labels, checked; nothing decoded yet."""

    base: Path
    classes: tuple[str, ...]
    train: tuple[list[Path], list[int]]
    test: tuple[list[Path], list[int]]
    notes: tuple[str, ...] = ()
    report: dict[str, Any] = field(default_factory=dict)


def _why_skipped(file: Path) -> str:
    return f"not an image Pillow can read ({file.suffix.lower() or 'no extension'})"


def survey_split(folder: Path, classes: tuple[str, ...]) -> SplitSurvey:
    """Identify every file of every class folder by its content; refuse modes that cannot be read right."""
    survey = SplitSurvey()
    for label, cls in enumerate(classes):
        files, ignored, loops = walk(folder / cls)
        survey.found += len(files)
        survey.ignored += ignored
        survey.loops += loops
        used = 0
        for file in files:
            header = read_header(file)
            if header.mode is None:
                survey.skip(file, _why_skipped(file))
                continue
            rule = check_header(file, header)
            survey.files.append(file)
            survey.labels.append(label)
            survey.modes[header.mode] += 1
            if rule.change:
                survey.changed[f"{rule.change} (mode {header.mode})"] += 1
            survey.not_square += not header.square
            if header.frames > 1:
                survey.changed["several frames: the first one used"] += 1
            used += 1
        if not used:
            what = f"its {len(files)} file(s) are not images Pillow can read" if files else "it is empty"
            raise DataError(f"{folder / cls}: no readable image ({what}); put at least one image in every class folder, or remove it")
    return survey


def _same_classes(base: Path, train: tuple[str, ...], test: tuple[str, ...]) -> None:
    if not train:
        raise DataError(f"{base / 'train'}: no class folders; put each class's images in train/<class>/")
    only_train, only_test = sorted(set(train) - set(test)), sorted(set(test) - set(train))
    if only_train or only_test:
        parts = [f"only in {name}/: {', '.join(names)}" for name, names in (("train", only_train), ("test", only_test)) if names]
        raise DataError(f"{base}: train/ and test/ must have the same class folders ({'; '.join(parts)})")


def _notes(passed: list[str], surveys: dict[str, SplitSurvey], beside: list[str], size: int) -> tuple[str, ...]:
    notes = []
    squashed = sum(s.not_square for s in surveys.values())
    if size and squashed:
        notes.append(f"imagefolder: data.image_size resizes every image to {size}×{size}; {squashed} are not square (aspect ratio changed)")
    if beside:
        notes.append(
            f"imagefolder: ignored {', '.join(beside)} beside train/ and test/ (validation examples are drawn from train/ "
            "by data.val_split)"
        )
    loops = [loop for s in surveys.values() for loop in s.loops]
    if loops:
        notes.append(f"imagefolder: not followed {len(loops)} link(s) that lead back into folders already read, e.g. {loops[0]}")
    if passed:
        shown = ", ".join(passed[:5]) + (f" and {len(passed) - 5} more" if len(passed) > 5 else "")
        notes.append(f"imagefolder: not classes, ignored: {shown} (hidden, left by a tool, or a file beside the class folders)")
    ignored = sum(s.ignored for s in surveys.values())
    if ignored:
        notes.append(f"imagefolder: ignored {ignored} hidden or tool file(s) inside the class folders (such as .DS_Store)")
    skipped: Counter[str] = sum((s.skipped for s in surveys.values()), Counter())
    for reason, count in sorted(skipped.items()):
        notes.append(f"imagefolder: skipped {count} file(s): {reason}; summary.json lists them")
    changed: Counter[str] = sum((s.changed for s in surveys.values()), Counter())
    for change, count in sorted(changed.items()):
        notes.append(f"imagefolder: {change}: {count} image(s)")
    return tuple(notes)


def list_imagefolder(cfg: DataConfig) -> FolderListing:
    """Both splits listed and checked: same classes, a readable image in each, every mode handled."""
    base = Path(cfg.path).expanduser()
    check_layout(base)
    (classes, passed_train), (test_classes, passed_test) = (class_folders(base / s) for s in SPLITS)
    _same_classes(base, classes, test_classes)
    surveys = {split: survey_split(base / split, classes) for split in SPLITS}
    passed = passed_train + passed_test
    beside = [e.name + ("/" if e.is_dir() else "") for e in sorted(base.iterdir()) if e.name not in SPLITS]
    report = {
        "source": "imagefolder",
        "path": str(base),
        "classes": list(classes),
        "not_classes": passed,
        "ignored_beside_splits": beside,
        "resized_to": cfg.image_size or None,
        **{split: survey.to_dict() for split, survey in surveys.items()},
    }
    return FolderListing(
        base,
        classes,
        (surveys["train"].files, surveys["train"].labels),
        (surveys["test"].files, surveys["test"].labels),
        _notes(passed, surveys, beside, cfg.image_size),
        report,
    )


def _decode_all(files: list[Path], size: int) -> np.ndarray:
    """Every file as (H, W, 3) uint8, stacked; the first file of another size than the first is named."""
    images = [read_image(f, size) for f in files]
    first = images[0].shape
    for file, image in zip(files, images, strict=True):
        if image.shape != first:
            got, want = f"{image.shape[1]}×{image.shape[0]}", f"{first[1]}×{first[0]}"
            raise DataError(f"{file}: is {got}, not {want} like the first image ({files[0].name}); set data.image_size to resize them")
    return np.stack(images)


def load_imagefolder(cfg: DataConfig, root: Path) -> RawDataset:
    """Every image of the folder decoded into memory (``data.stream`` reads them batch by batch instead)."""
    listing = list_imagefolder(cfg)
    if cfg.stream:
        return streamed_imagefolder(listing, cfg)
    x_train, x_test = _decode_all(listing.train[0], cfg.image_size), _decode_all(listing.test[0], cfg.image_size)
    y_train, y_test = (np.asarray(labels, dtype=np.int64) for labels in (listing.train[1], listing.test[1]))
    raw = from_arrays(x_train, y_train, x_test, y_test, listing.classes, source=str(listing.base), layout="nhwc")
    return raw.with_report(listing.notes, listing.report)


def streamed_imagefolder(listing: FolderListing, cfg: DataConfig) -> RawDataset:
    """An image folder whose images stay on disk (data.stream); only the first one is decoded, for the shape."""
    import torch

    from rdfia_tui.engine.data.streaming import ImageFiles, LazyImages

    first = read_image(listing.train[0][0], cfg.image_size)
    shape = (first.shape[2], first.shape[0], first.shape[1])

    def lazy(files: list[Path]) -> LazyImages:
        return LazyImages(ImageFiles(files, cfg.image_size, shape), torch.arange(len(files)), torch.device("cpu"), cfg.workers)

    labels = [torch.tensor(split[1], dtype=torch.int64) for split in (listing.train, listing.test)]
    return RawDataset(lazy(listing.train[0]), labels[0], lazy(listing.test[0]), labels[1], listing.classes, listing.notes, listing.report)
