"""A handful of test images drawn in half-blocks (256 colours), each with its true / predicted label."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

from rdfia_tui.engine.events import SamplePredictions

Image = Sequence[Sequence[Sequence[int]]]  # (C, H, W), uint8 values
Pixel = tuple[int, int, int]

# The xterm-256 palette: a 6x6x6 colour cube (16-231) and a 24-step grey ramp (232-255).
CUBE_LEVELS = (0, 95, 135, 175, 215, 255)
GREY_LEVELS = tuple(8 + 10 * i for i in range(24))

# Image widths tried, largest first; the first whose grid fits MAX_LINES at the panel's width wins.
IMAGE_WIDTHS = (16, 12, 8)
MAX_LINES = 17
MIN_LABEL = 9  # a column is at least this wide, so "true / predicted" stays readable beside small images
GAP = 1
RIGHT_STYLE, WRONG_STYLE = "bold green", "bold red"


def _nearest(levels: tuple[int, ...], value: float) -> int:
    return min(range(len(levels)), key=lambda i: abs(levels[i] - value))


@lru_cache(maxsize=8192)
def xterm256(r: int, g: int, b: int) -> int:
    """The xterm-256 colour index nearest to (r, g, b): the better of the cube's and the grey ramp's candidates."""
    ri, gi, bi = (_nearest(CUBE_LEVELS, v) for v in (r, g, b))
    cube = (CUBE_LEVELS[ri], CUBE_LEVELS[gi], CUBE_LEVELS[bi])
    k = _nearest(GREY_LEVELS, (r + g + b) / 3)
    grey = (GREY_LEVELS[k],) * 3

    def distance(c: Pixel) -> int:
        return (c[0] - r) ** 2 + (c[1] - g) ** 2 + (c[2] - b) ** 2

    return 16 + 36 * ri + 6 * gi + bi if distance(cube) <= distance(grey) else 232 + k


def resample(image: Image, height: int, width: int) -> list[list[Pixel]]:
    """(C, H, W) to ``height`` rows of ``width`` RGB pixels: box average when shrinking, nearest pixel when growing.

    One channel is grey; three or more are read as RGB (extra channels ignored).
    """
    channels = list(image[:3]) if len(image) >= 3 else [image[0]] * 3
    h, w = len(image[0]), len(image[0][0])

    def bins(n_in: int, n_out: int) -> list[range]:
        return [range(i * n_in // n_out, max(i * n_in // n_out + 1, (i + 1) * n_in // n_out)) for i in range(n_out)]

    rows, cols = bins(h, height), bins(w, width)
    out: list[list[Pixel]] = []
    for rbin in rows:
        line: list[Pixel] = []
        for cbin in cols:
            n = len(rbin) * len(cbin)
            # half up, not Python's half to even: a 2x2 block of 0, 1, 4, 5 gives 3
            line.append(tuple(int(sum(ch[y][x] for y in rbin for x in cbin) / n + 0.5) for ch in channels))  # type: ignore[misc]
        out.append(line)
    return out


def half_blocks(pixels: list[list[Pixel]]) -> list[Text]:
    """Two pixel rows per line: '▀' in the top pixel's colour on the bottom pixel's colour."""
    lines = []
    for top_row, bottom_row in zip(pixels[0::2], pixels[1::2], strict=False):
        line = Text()
        for top, bottom in zip(top_row, bottom_row, strict=True):
            line.append("▀", style=f"color({xterm256(*top)}) on color({xterm256(*bottom)})")
        lines.append(line)
    return lines


def abbreviate(name: str, width: int) -> str:
    return name if len(name) <= width else name[: max(width, 1)]


def pair_label(true: str, predicted: str, width: int, separator: str = " / ") -> str:
    """'true / predicted' with ``separator``, each name abbreviated as much as needed to fit ``width`` characters."""
    text = f"{true}{separator}{predicted}"
    if len(text) <= width:
        return text
    half = max((width - len(separator)) // 2, 1)
    return f"{abbreviate(true, half)}{separator}{abbreviate(predicted, half)}"


def separator_for(pairs: list[tuple[str, str]], width: int) -> str:
    """One separator for every label of a panel: " / " when all fit with it, else "/"."""
    return " / " if all(len(t) + len(p) + 3 <= width for t, p in pairs) else "/"


def image_height(image: Image, width: int) -> int:
    """Pixel rows for ``width`` columns, keeping the aspect ratio; even, so half-blocks pair up."""
    h, w = len(image[0]), len(image[0][0])
    return max(2, 2 * round(width * h / w / 2))


def _shape(samples: SamplePredictions | None) -> tuple[int, ...]:
    """How many images, of what size, with what names: what the panel's height depends on."""
    if samples is None or not samples.images:
        return ()
    first = samples.images[0]
    return (len(samples.images), len(first), len(first[0]), len(first[0][0]), len(samples.class_names))


class SamplePanel(Widget):
    """The latest SamplePredictions: images in a grid that fits the width, labels green when right, red when wrong."""

    DEFAULT_CSS = """
    SamplePanel { height: auto; width: 1fr; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.samples: SamplePredictions | None = None
        self.updates = 0
        self._drawn: dict[int, list[list[Text]]] = {}  # image width -> each image's half-block lines

    def clear(self) -> None:
        self.samples, self._drawn = None, {}
        self.refresh(layout=True)

    def set_samples(self, samples: SamplePredictions) -> None:
        """Show the epoch's samples; laid out again only when their number or size changes (see ConfusionPanel)."""
        shape = _shape(self.samples)
        self.samples, self._drawn = samples, {}
        self.updates += 1
        self.refresh(layout=_shape(samples) != shape)

    def name_of(self, index: int) -> str:
        names = self.samples.class_names if self.samples else ()
        return names[index] if 0 <= index < len(names) else str(index)

    @property
    def labels(self) -> list[tuple[str, bool]]:
        """Each image's full 'true / predicted' text and whether the prediction is right."""
        if self.samples is None:
            return []
        return [(f"{self.name_of(t)} / {self.name_of(p)}", t == p) for t, p in zip(self.samples.true, self.samples.predicted, strict=True)]

    def layout_for(self, width: int) -> tuple[int, int]:
        """(image width in columns, images per row) for a content area ``width`` characters wide."""
        count = len(self.samples.images) if self.samples else 0
        inner = max(width, 1)
        choice = (IMAGE_WIDTHS[-1], 1)
        for size in IMAGE_WIDTHS:
            per_row = max(1, (inner + GAP) // (max(size, MIN_LABEL) + GAP))
            choice = (size, per_row)
            grid_rows = -(-count // per_row)
            if count and 1 + grid_rows * (image_height(self.samples.images[0], size) // 2 + 1) <= MAX_LINES:
                break
        return choice

    def image_lines(self, size: int) -> list[list[Text]]:
        if size not in self._drawn and self.samples is not None:
            self._drawn[size] = [half_blocks(resample(img, image_height(img, size), size)) for img in self.samples.images]
        return self._drawn.get(size, [])

    def lines(self, width: int) -> list[Text]:
        if self.samples is None:
            return [Text("samples · waiting for the first epoch", style="bold")]
        size, per_row = self.layout_for(width)
        column = max(size, MIN_LABEL)
        right = sum(ok for _, ok in self.labels)
        out = [Text(f"samples · epoch {self.samples.epoch} · {right}/{len(self.labels)} right", style="bold")]
        drawn = self.image_lines(size)
        pairs = [(self.name_of(t), self.name_of(p)) for t, p in zip(self.samples.true, self.samples.predicted, strict=True)]
        separator = separator_for(pairs, column)
        for start in range(0, len(drawn), per_row):
            chunk = range(start, min(start + per_row, len(drawn)))
            for k in range(len(drawn[start])):
                line = Text()
                for i in chunk:
                    line.append_text(drawn[i][k])
                    line.append(" " * (column - size + GAP))
                out.append(line)
            label_line = Text()
            for i in chunk:
                t, p = self.samples.true[i], self.samples.predicted[i]
                text = pair_label(self.name_of(t), self.name_of(p), column, separator)
                label_line.append(text.ljust(column + GAP), style=RIGHT_STYLE if t == p else WRONG_STYLE)
            out.append(label_line)
        return out

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines(width))

    def render(self) -> Text:
        return Text("\n").join(self.lines(self.content_size.width))
