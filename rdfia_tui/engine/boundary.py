"""Decision boundaries of 2-D classifiers: the predicted class on a grid over the plane."""

from __future__ import annotations

import torch
from torch import nn

GRID_WIDTH = 64
GRID_HEIGHT = 32  # two grid rows per terminal line with half-block characters
MAX_POINTS = 400


def plane_extent(x: torch.Tensor, margin: float = 0.1) -> tuple[tuple[float, float], tuple[float, float]]:
    """The bounding box of 2-D points, widened by ``margin`` of its size on each side."""
    low, high = x.min(dim=0).values.tolist(), x.max(dim=0).values.tolist()
    ranges = []
    for lo, hi in zip(low, high, strict=True):
        pad = (hi - lo) * margin or 1.0
        ranges.append((lo - pad, hi + pad))
    return ranges[0], ranges[1]


@torch.inference_mode()
def decision_grid(
    model: nn.Module,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    width: int = GRID_WIDTH,
    height: int = GRID_HEIGHT,
    dtype: torch.dtype = torch.float32,
) -> list[list[int]]:
    """The class ``model`` predicts at the centre of each cell; row 0 is the top (largest y)."""
    device = next(model.parameters()).device
    finite = torch.finfo(dtype)

    def centres(start: float, end: float, n: int) -> torch.Tensor:
        # in float64, then clamped: an extent near float32's limit must not overflow the grid
        line = torch.linspace(start, end, n * 2 + 1, dtype=torch.float64)[1::2]
        return line.clamp(finite.min, finite.max).to(device=device, dtype=dtype)

    xs = centres(x_range[0], x_range[1], width)
    ys = centres(y_range[1], y_range[0], height)
    grid_y, grid_x = torch.meshgrid(ys, xs, indexing="ij")
    points = torch.stack([grid_x.reshape(-1), grid_y.reshape(-1)], dim=1)
    was_training = model.training
    model.eval()
    classes = model(points).argmax(dim=1).reshape(height, width)
    model.train(was_training)
    return classes.tolist()


def sample_points(x: torch.Tensor, y: torch.Tensor, limit: int = MAX_POINTS) -> tuple[list[list[float]], list[int]]:
    """At most ``limit`` points, evenly spread over the (already shuffled) split."""
    step = max(1, -(-len(y) // limit))
    return x[::step].tolist(), y[::step].tolist()
