"""The decision boundary of a 2-D classifier: predicted regions in half-blocks, with the training points."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from rdfia_tui.engine.events import BoundaryUpdated, PlanePoints

# 256-colour palette (no true colour needed): a dim region colour and a bright point colour per class
REGION_COLOURS = ("color(24)", "color(94)", "color(28)", "color(90)", "color(30)", "color(58)", "color(60)", "color(52)")
POINT_COLOURS = ("color(45)", "color(214)", "color(46)", "color(201)", "color(51)", "color(226)", "color(147)", "color(196)")


class BoundaryPanel(Widget):
    """Draws the last BoundaryUpdated grid; two grid rows per terminal line with '▀'."""

    DEFAULT_CSS = """
    BoundaryPanel { height: 1fr; min-height: 8; width: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.points: PlanePoints | None = None
        self.grid: BoundaryUpdated | None = None
        self.updates = 0

    def set_points(self, points: PlanePoints) -> None:
        self.points, self.grid = points, None
        self.refresh()

    def set_grid(self, grid: BoundaryUpdated) -> None:
        self.grid = grid
        self.updates += 1
        self.refresh()

    def render(self) -> Text:
        width, height = self.size.width, self.size.height - 1
        title = Text(f"boundary · epoch {self.grid.epoch}" if self.grid else "boundary · waiting", style="bold")
        title.truncate(max(width, 1), overflow="ellipsis")
        if width <= 0 or height <= 0 or self.grid is None:
            return title
        classes = self.grid.classes
        rows, cols = len(classes), len(classes[0])

        def region(r: int, c: int) -> int:
            return classes[min(rows - 1, r * rows // (2 * height))][min(cols - 1, c * cols // width)]

        marks: dict[tuple[int, int], int] = {}
        if self.points is not None:
            (x0, x1), (y0, y1) = self.grid.x_range, self.grid.y_range
            # one point in three: enough to see the data without hiding the regions
            for (px, py), label in list(zip(self.points.x, self.points.y, strict=True))[::3]:
                col = int((px - x0) / (x1 - x0) * width)
                line = int((y1 - py) / (y1 - y0) * height)
                if 0 <= col < width and 0 <= line < height:
                    marks[(line, col)] = label
        out = Text()
        out.append_text(title)
        for line in range(height):
            out.append("\n")
            for col in range(width):
                top, bottom = region(2 * line, col), region(2 * line + 1, col)
                if (line, col) in marks:
                    label = marks[(line, col)]
                    out.append("•", style=f"bold {POINT_COLOURS[label % 8]} on {REGION_COLOURS[top % 8]}")
                else:
                    out.append("▀", style=f"{REGION_COLOURS[top % 8]} on {REGION_COLOURS[bottom % 8]}")
        return out

    def cell_class(self, fx: float, fy: float) -> int | None:
        """The predicted class at a fraction (fx from the left, fy from the top) of the plane; for tests."""
        if self.grid is None:
            return None
        classes = self.grid.classes
        return classes[min(len(classes) - 1, int(fy * len(classes)))][min(len(classes[0]) - 1, int(fx * len(classes[0])))]
