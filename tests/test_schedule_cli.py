"""`rdfia-tui schedule`: the learning rate of each planned epoch, end to end in a subprocess."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import assert_clean_error, rdfia


def lr_rows(stdout: str) -> list[tuple[int, float]]:
    """The (epoch, lr) rows of the printed table: the lines after the dashes."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("---")) + 1
    return [(int(epoch), float(lr)) for epoch, lr in (line.split() for line in lines[start:] if line.strip())]


def test_step_schedule_halves_every_two_epochs(tmp_path: Path) -> None:
    result = rdfia(
        "schedule",
        "cifar10-convnet",
        *("--set", "schedule.name=step", "--set", "schedule.step_size=2", "--set", "schedule.gamma=0.5", "--set", "train.epochs=5"),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    # lr0 = 0.1 from the preset; epoch k trains with lr0 * 0.5 ** ((k - 1) // 2)
    rows = lr_rows(result.stdout)
    assert [e for e, _ in rows] == [1, 2, 3, 4, 5]
    assert [lr for _, lr in rows] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])
    assert result.stdout.splitlines()[0].startswith("cifar10-convnet: step schedule")


def test_time_and_exponential_schedules(tmp_path: Path) -> None:
    time_based = rdfia(
        "schedule", "circles-mlp", "--set", "schedule.name=time", "--set", "schedule.decay=1", "--set", "train.epochs=3", cwd=tmp_path
    )
    assert time_based.returncode == 0, time_based.stderr
    assert [lr for _, lr in lr_rows(time_based.stdout)] == pytest.approx([0.3, 0.15, 0.1])  # 0.3 / (1 + t)
    exponential = rdfia(
        "schedule",
        "circles-mlp",
        "--set",
        "schedule.name=exponential",
        "--set",
        "schedule.gamma=0.1",
        "--set",
        "train.epochs=3",
        cwd=tmp_path,
    )
    assert [lr for _, lr in lr_rows(exponential.stdout)] == pytest.approx([0.3, 0.03, 0.003])


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("cifar10-convnet", "--set", "schedule.gamma=-1"), ("schedule.gamma", "greater than 0")),
        (("cifar10-convnet", "--set", "schedule.name=cosine"), ("schedule.name", "cosine")),
        (("no-such-preset",), ("no-such-preset",)),
        ((), ("preset",)),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: tuple[str, ...], fragments: tuple[str, ...]) -> None:
    result = rdfia("schedule", *args, cwd=tmp_path)
    assert_clean_error(result, *fragments)
    assert result.stdout == ""
