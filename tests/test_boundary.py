"""Decision boundaries of 2-D classifiers: the grid, the plane's extent, the point sample and fit's events."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import torch
from torch import nn

from rdfia_tui.engine import boundary
from rdfia_tui.engine.boundary import decision_grid, plane_extent, sample_points
from rdfia_tui.engine.config import apply_overrides
from rdfia_tui.engine.events import BoundaryUpdated, EpochEnded, PlanePoints, RunStarted
from rdfia_tui.engine.presets import load_preset
from rdfia_tui.engine.training import fit


def _threshold_model(axis: int, threshold: float, dtype: torch.dtype = torch.float32) -> nn.Sequential:
    """logit1 − logit0 = coordinate[axis] − threshold: class 1 iff that coordinate > threshold."""
    model = nn.Sequential(nn.Linear(2, 2))
    with torch.no_grad():
        model[0].weight.zero_()
        model[0].weight[1, axis] = 1.0
        model[0].bias.copy_(torch.tensor([0.0, -threshold]))
    return model.to(dtype)


def _centres(low: float, high: float, n: int) -> list[float]:
    return [low + (i + 0.5) * (high - low) / n for i in range(n)]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(("width", "height"), [(20, 10), (37, 5), (64, 32)])
def test_grid_splits_on_x(dtype: torch.dtype, width: int, height: int) -> None:
    x_range, y_range = (-1.0, 1.3), (-2.0, 2.0)
    grid = decision_grid(_threshold_model(0, 0.3, dtype), x_range, y_range, width=width, height=height, dtype=dtype)
    assert len(grid) == height and all(len(row) == width for row in grid)
    cell = (x_range[1] - x_range[0]) / width
    for row in grid:
        for value, cx in zip(row, _centres(*x_range, width), strict=True):
            assert value in (0, 1)
            if cx > 0.3 + cell / 2:
                assert value == 1, cx
            elif cx < 0.3 - cell / 2:
                assert value == 0, cx
    # both classes are present and every row is the same (the boundary is vertical)
    assert {v for row in grid for v in row} == {0, 1}
    assert all(row == grid[0] for row in grid)


def test_grid_rows_go_from_high_y_to_low_y() -> None:
    x_range, y_range = (-3.0, 3.0), (-1.0, 2.0)
    width, height = 8, 12
    grid = decision_grid(_threshold_model(1, 0.5), x_range, y_range, width=width, height=height)
    assert len(grid) == height and all(len(row) == width for row in grid)
    top_down = _centres(y_range[1], y_range[0], height)  # row 0 has the largest y
    cell = (y_range[1] - y_range[0]) / height
    for row, cy in zip(grid, top_down, strict=True):
        assert len(set(row)) == 1  # the boundary is horizontal
        if cy > 0.5 + cell / 2:
            assert row[0] == 1, cy
        elif cy < 0.5 - cell / 2:
            assert row[0] == 0, cy
    assert grid[0][0] == 1 and grid[-1][0] == 0


def test_grid_matches_the_cell_centres_of_a_diagonal_boundary() -> None:
    """class 1 iff y > x: an independent loop over the cell centres gives the same picture."""
    model = nn.Sequential(nn.Linear(2, 2))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
        model[0].bias.zero_()
    x_range, y_range = (0.0, 4.0), (-1.0, 3.0)
    width, height = 16, 9
    grid = decision_grid(model, x_range, y_range, width=width, height=height)
    xs, ys = _centres(*x_range, width), _centres(y_range[1], y_range[0], height)
    for r, cy in enumerate(ys):
        for c, cx in enumerate(xs):
            if abs(cy - cx) > 1e-5:
                assert grid[r][c] == int(cy > cx), (r, c, cx, cy)


class _ModeSpy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(2, 3)
        self.modes: list[bool] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.modes.append(self.training)
        return self.linear(x)


@pytest.mark.parametrize("training", [True, False])
def test_grid_evaluates_in_eval_mode_and_restores_the_mode(training: bool) -> None:
    model = _ModeSpy()
    model.train(training)
    grid = decision_grid(model, (0.0, 1.0), (0.0, 1.0), width=4, height=3)
    assert model.modes == [False]
    assert model.training is training and model.linear.training is training
    assert len(grid) == 3 and all(len(r) == 4 for r in grid)
    assert {v for r in grid for v in r} <= {0, 1, 2}
    assert all(p.grad is None for p in model.parameters())


def test_grid_default_size() -> None:
    grid = decision_grid(_threshold_model(0, 0.0), (-1.0, 1.0), (-1.0, 1.0))
    assert len(grid) == boundary.GRID_HEIGHT and all(len(r) == boundary.GRID_WIDTH for r in grid)


def test_plane_extent_pads_by_the_margin() -> None:
    x = torch.tensor([[0.0, -1.0], [2.0, 3.0], [1.0, 0.0]])
    (x0, x1), (y0, y1) = plane_extent(x)
    assert (x0, x1) == pytest.approx((-0.2, 2.2))
    assert (y0, y1) == pytest.approx((-1.4, 3.4))
    (x0, x1), (y0, y1) = plane_extent(x, margin=0.5)
    assert (x0, x1) == pytest.approx((-1.0, 3.0))
    assert (y0, y1) == pytest.approx((-3.0, 5.0))
    # every point lies inside, strictly
    for margin in (0.05, 0.1, 0.25):
        (x0, x1), (y0, y1) = plane_extent(x, margin)
        assert x0 < x[:, 0].min().item() and x[:, 0].max().item() < x1
        assert y0 < x[:, 1].min().item() and x[:, 1].max().item() < y1


def test_plane_extent_of_a_degenerate_cloud_is_not_empty() -> None:
    x = torch.tensor([[1.0, 5.0], [1.0, 6.0]])
    (x0, x1), (y0, y1) = plane_extent(x)
    assert x0 < 1.0 < x1
    assert (y0, y1) == pytest.approx((4.9, 6.1))


@pytest.mark.parametrize(("n", "limit"), [(1000, 400), (800, 400), (401, 400), (400, 400), (399, 400), (7, 3), (10, 1), (1, 400)])
def test_sample_points_are_few_and_evenly_spaced(n: int, limit: int) -> None:
    x = torch.arange(2 * n, dtype=torch.float32).reshape(n, 2)
    y = torch.arange(n) % 3
    points, labels = sample_points(x, y, limit=limit)
    assert len(points) == len(labels) <= limit
    assert len(points) >= 1
    indices = [int(p[0]) // 2 for p in points]
    # each point keeps its own label and both coordinates
    for i, p, label in zip(indices, points, labels, strict=True):
        assert p == [2.0 * i, 2.0 * i + 1]
        assert label == i % 3
    # evenly spaced from the first example, spread over the whole split
    assert indices[0] == 0
    gaps = {b - a for a, b in itertools.pairwise(indices)}
    assert len(gaps) <= 1
    if gaps:
        assert n - 1 - indices[-1] < gaps.pop()
    # the sample uses the room it has: all points when they fit, at least half the limit otherwise
    if n <= limit:
        assert len(points) == n
    else:
        assert len(points) >= limit / 2


def test_sample_points_default_limit() -> None:
    x = torch.randn(1000, 2)
    y = torch.zeros(1000, dtype=torch.long)
    points, labels = sample_points(x, y)
    assert 0 < len(points) == len(labels) <= boundary.MAX_POINTS


# --- fit's boundary events -------------------------------------------------------------------------


def _events(runs_dir: Path, preset: str, *overrides: str) -> list:
    events: list = []
    cfg = apply_overrides(load_preset(preset), ["train.device=cpu", *overrides])
    assert fit(cfg, events.append, runs_dir=runs_dir).status == "completed"
    return events


def test_fit_on_circles_draws_points_and_one_boundary_per_epoch(runs_dir: Path) -> None:
    events = _events(runs_dir, "circles-mlp")
    epochs = load_preset("circles-mlp").train.epochs
    planes = [i for i, e in enumerate(events) if isinstance(e, PlanePoints)]
    boundaries = [e for e in events if isinstance(e, BoundaryUpdated)]
    first_epoch = next(i for i, e in enumerate(events) if isinstance(e, EpochEnded | BoundaryUpdated))
    started = next(i for i, e in enumerate(events) if isinstance(e, RunStarted))
    assert len(planes) == 1 and started < planes[0] < first_epoch
    plane: PlanePoints = events[planes[0]]

    assert [b.epoch for b in boundaries] == list(range(epochs + 1))
    # each boundary follows its epoch's EpochEnded
    order = [
        ("ended", e.metrics.epoch) if isinstance(e, EpochEnded) else ("boundary", e.epoch)
        for e in events
        if isinstance(e, EpochEnded | BoundaryUpdated)
    ]
    assert order == [item for k in range(epochs + 1) for item in (("ended", k), ("boundary", k))]
    for b in boundaries:
        assert len(b.classes) == boundary.GRID_HEIGHT and all(len(r) == boundary.GRID_WIDTH for r in b.classes)
        assert {v for r in b.classes for v in r} <= {0, 1}
        assert b.x_range == plane.x_range and b.y_range == plane.y_range

    # the sample: at most MAX_POINTS, labels 0/1, all inside the extent
    assert 0 < len(plane.x) == len(plane.y) <= boundary.MAX_POINTS
    assert set(plane.y) == {0, 1}
    (x0, x1), (y0, y1) = plane.x_range, plane.y_range
    assert all(x0 < px < x1 and y0 < py < y1 for px, py in plane.x)
    # circles: class 1 is the inner circle, class 0 the outer ring
    radius = {c: [(px * px + py * py) ** 0.5 for (px, py), yy in zip(plane.x, plane.y, strict=True) if yy == c] for c in (0, 1)}
    assert max(radius[1]) < sum(radius[0]) / len(radius[0])

    final = boundaries[-1].classes
    h, w = boundary.GRID_HEIGHT, boundary.GRID_WIDTH
    # the plane's centre (≈ the origin, the inner circle) is class 1
    assert x0 < 0 < x1 and y0 < 0 < y1
    centre_col = int((0 - x0) / (x1 - x0) * w)
    centre_row = int((y1 - 0) / (y1 - y0) * h)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            assert final[centre_row + dr][centre_col + dc] == 1, (dr, dc)
    assert final[h // 2][w // 2] == 1
    for r, c in ((0, 0), (0, w - 1), (h - 1, 0), (h - 1, w - 1)):
        assert final[r][c] == 0, (r, c)
    # the untrained epoch-0 picture differs from the learned one
    assert boundaries[0].classes != final


def test_fit_boundary_in_float64_and_with_the_manual_impl(runs_dir: Path) -> None:
    events = _events(runs_dir, "circles-manual", "train.dtype=float64", "train.epochs=2")
    boundaries = [e for e in events if isinstance(e, BoundaryUpdated)]
    assert [b.epoch for b in boundaries] == [0, 1, 2]
    assert all(len(b.classes) == boundary.GRID_HEIGHT for b in boundaries)
    assert len([e for e in events if isinstance(e, PlanePoints)]) == 1


def test_fit_on_digits_draws_no_plane(runs_dir: Path) -> None:
    events = _events(runs_dir, "digits-mlp", "train.epochs=1")
    assert [e.metrics.epoch for e in events if isinstance(e, EpochEnded)] == [0, 1]
    assert not [e for e in events if isinstance(e, PlanePoints | BoundaryUpdated)]
