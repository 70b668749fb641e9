"""The test confusion matrix as a 256-colour heat map, with per-class and overall accuracy."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

Matrix = Sequence[Sequence[int]]

# Background ramps, dark to bright (xterm-256, no true colour needed): right answers green, mistakes red.
DIAGONAL_RAMP = (22, 28, 34, 40, 46)
MISTAKE_RAMP = (52, 88, 124, 160, 196)
DARK_TEXT_FROM = 3  # ramp steps this bright get black text
MIN_CELL = 4  # columns per count, so a column header keeps four letters of its class name
MAX_LABEL = 10
ACC_WIDTH = 7  # " 100.0%"
MAX_GRID_CLASSES = 20  # beyond this a grid is unreadable in a terminal: list per-class accuracy instead


def per_class_accuracy(matrix: Matrix) -> list[float | None]:
    """Diagonal over row sum (recall) for each true class; None for a class with no test example."""
    return [row[i] / sum(row) if sum(row) else None for i, row in enumerate(matrix)]


def overall_accuracy(matrix: Matrix) -> float | None:
    total = sum(map(sum, matrix))
    return sum(matrix[i][i] for i in range(len(matrix))) / total if total else None


def heat_style(count: int, row_total: int, diagonal: bool) -> str:
    """The cell's style: background brightness grows with the share of the true class's examples it holds."""
    if count == 0 or row_total == 0:
        return "dim"
    ramp = DIAGONAL_RAMP if diagonal else MISTAKE_RAMP
    # square root: a 10% confusion is already worth seeing next to a 90% diagonal
    step = min(len(ramp) - 1, max(0, math.ceil(math.sqrt(count / row_total) * len(ramp)) - 1))
    text = "color(16)" if step >= DARK_TEXT_FROM else "color(255)"
    return f"{text} on color({ramp[step]})"


def column_headers(names: Sequence[str], width: int) -> list[str]:
    """Class names cut to ``width``; class indices when the cut names would collide."""
    cut = [name[:width] for name in names]
    return cut if len(set(cut)) == len(cut) else [str(i) for i in range(len(names))]


def percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


class ConfusionPanel(Widget):
    """Rows are true classes, columns predicted classes; a last column gives each class's accuracy."""

    DEFAULT_CSS = """
    ConfusionPanel { height: auto; width: 1fr; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.matrix: tuple[tuple[int, ...], ...] = ()
        self.class_names: tuple[str, ...] = ()
        self.epoch: int | None = None
        self.updates = 0

    def clear(self) -> None:
        self.matrix, self.epoch = (), None
        self.refresh(layout=True)

    def set_matrix(self, epoch: int, matrix: Matrix, class_names: Sequence[str] = ()) -> None:
        """Show the epoch's matrix; the screen is laid out again only when the panel's shape changes (a layout pass
        walks every widget of the form: once per epoch it cost a convnet run 2 % of its speed on 2 cores)."""
        shape = (len(self.matrix), self.class_names)
        self.matrix = tuple(tuple(row) for row in matrix)
        names = tuple(class_names)
        self.class_names = tuple(names[i] if i < len(names) else str(i) for i in range(len(self.matrix)))
        self.epoch = epoch
        self.updates += 1
        self.refresh(layout=(len(self.matrix), self.class_names) != shape)

    @property
    def accuracies(self) -> dict[str, float | None]:
        return dict(zip(self.class_names, per_class_accuracy(self.matrix), strict=True))

    @property
    def overall(self) -> float | None:
        return overall_accuracy(self.matrix)

    def lines(self, width: int) -> list[Text]:
        if not self.matrix:
            return [Text("confusion · waiting for the first epoch", style="bold")]
        matrix, n = self.matrix, len(self.matrix)
        correct, total = sum(matrix[i][i] for i in range(n)), sum(map(sum, matrix))
        title = Text(f"test confusion · epoch {self.epoch} · rows true, columns predicted", style="bold")
        footer = Text(f"overall {percent(self.overall)} ({correct:,}/{total:,})", style="bold")
        cell = max(MIN_CELL, len(str(max(max(row) for row in matrix))))
        label = min(MAX_LABEL, max(len(name) for name in self.class_names))
        label = min(label, width - n * (cell + 1) - ACC_WIDTH)
        accuracies = per_class_accuracy(matrix)
        if n > MAX_GRID_CLASSES or label < 3:
            title = Text(f"per-class test accuracy · epoch {self.epoch}", style="bold")
            pairs = zip(self.class_names, accuracies, strict=True)
            rows = [Text(f"{name[:MAX_LABEL]:<{MAX_LABEL}} {percent(acc):>{ACC_WIDTH}}") for name, acc in pairs]
            return [title, *rows, footer]
        header = Text(" " * label, style="bold")
        for name in column_headers(self.class_names, cell):
            header.append(f" {name:>{cell}}", style="bold")
        header.append(f"{'acc':>{ACC_WIDTH}}", style="bold")
        out = [title, header]
        for i, row in enumerate(matrix):
            line = Text(f"{self.class_names[i][:label]:<{label}}", style="bold")
            row_total = sum(row)
            for j, count in enumerate(row):
                line.append(" ")
                line.append(f"{count:>{cell}}", style=heat_style(count, row_total, i == j))
            line.append(f"{percent(accuracies[i]):>{ACC_WIDTH}}")
            out.append(line)
        out.append(footer)
        return out

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines(width))

    def render(self) -> Text:
        return Text("\n").join(self.lines(self.content_size.width))
