"""The headless output: an aligned table whatever the numbers, notes before it, and on a terminal a
transient progress bar (steps, images/s, ETA) that is gone once the epoch's line is printed."""

from __future__ import annotations

import io
import math
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pyte
import pytest

from rdfia_tui.cli import epoch_table
from rdfia_tui.cli.headless import HeadlessView, ProgressBar
from rdfia_tui.cli.output import Output
from rdfia_tui.engine.events import BatchProgress, EpochEnded, EpochMetrics, Patience


def bars(line: str) -> list[int]:
    return [i for i, ch in enumerate(line) if ch == "|"]


@pytest.mark.parametrize(
    "metrics",
    [
        EpochMetrics(3, 0.7029, 0.54, 0.7277, 0.48, 0.7085, 0.518, 0.3, 0.02, 36960),
        EpochMetrics(3, 2.3e20, 0.1, math.nan, math.nan, 1e38, 0.0, 1e20, 12345.6, 123456789),  # a diverging run, no val split
        EpochMetrics(3, 12.5, 1.0, 123.456, 1.0, 0.0001, 1.0, 1e-5, 0.0, 0),
    ],
)
@pytest.mark.parametrize("width", [None, 80])
def test_header_and_rows_line_up_whatever_the_numbers(metrics: EpochMetrics, width: int | None) -> None:
    columns = epoch_table.epoch_columns(30, width)
    words, titles = epoch_table.header(columns)
    line = epoch_table.row(columns, metrics)
    assert bars(words) == bars(titles) == bars(line)
    assert len(line) == len(titles)
    if width is not None:
        assert len(titles) <= width


def test_a_normal_row_reads_as_expected() -> None:
    columns = epoch_table.epoch_columns(30)
    line = epoch_table.row(columns, EpochMetrics(3, 0.7029, 0.54, 0.7277, 0.48, 0.7085, 0.518, 0.3, 0.02, 36960))
    assert line.split() == ["3/30", "|", "0.7029", "54.0%", "|", "0.7277", "48.0%", "|", "0.7085", "51.8%", "|", "0.3", "0.02s", "36960"]


def run_cli(*args: str, tmp_path: Path) -> str:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "rdfia_tui", *args, "--runs-dir", str(tmp_path / "runs")]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, check=True).stdout


def test_notes_come_before_the_table_in_logs(tmp_path: Path) -> None:
    out = run_cli("run", "circles-mlp", "--set", "train.batch_size=5000", "--set", "train.epochs=2", tmp_path=tmp_path).splitlines()
    note = next(i for i, line in enumerate(out) if line.startswith("note:"))
    header = next(i for i, line in enumerate(out) if line.startswith("epoch"))
    assert note < header - 1 and out[header + 1].lstrip().startswith("0/2")
    assert "\x1b" not in "\n".join(out) and "ETA" not in "\n".join(out)  # a log gets plain lines, no bar


def test_the_readme_sample_is_what_the_run_prints(tmp_path: Path) -> None:
    """The README's sample of 'rdfia-tui run circles-mlp' must be a real run's output (timings aside)."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    sample = readme.split("rdfia-tui run circles-mlp` finishes", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    out = run_cli("run", "circles-mlp", tmp_path=tmp_path)

    def comparable(text: str) -> list[str]:
        keep = [line for line in text.splitlines() if line.strip() != "..." and not line.startswith(("circles-mlp:", "run folder:"))]
        return [re.sub(r"\d+\.\d\ds\s+\d+$", "", line).rstrip() for line in keep]  # time and img/s vary

    printed = comparable(out)
    assert all(line in printed for line in comparable(sample))
    assert comparable(sample)[-1].startswith("completed:") and comparable(sample)[-1] == printed[-1]


def drawn_progress(width: int, patience: Patience | None) -> str:
    """The headless progress line as a terminal of ``width`` columns draws it, late in a long epoch of a run
    with early stopping on (its counter from the last EpochEnded)."""
    from rich.console import Console

    output = Output(io.StringIO())
    output.console = Console(file=output.stream, width=width, force_terminal=True, color_system=None)
    view = HeadlessView(output)
    view.bar = ProgressBar(output)
    view(EpochEnded(EpochMetrics(10, 0.1, 0.97, 0.09, 0.97, 0.09, 0.97, 0.1, 20.0, 3000), 30, (), patience))
    view(BatchProgress(11, 49832, 50000, 0.1, 1234.0, 22.0))
    progress = view.bar.progress
    lines = output.console.render_lines(progress.make_tasks_table(progress.tasks), output.console.options, pad=False)
    view.close()
    assert len(lines) == 1
    return "".join(segment.text for segment in lines[0])


@pytest.mark.parametrize("width", [40, 60, 80, 100, 120, 160])
def test_the_progress_line_fits_the_terminal_keeping_the_counter_first(width: int) -> None:
    text = drawn_progress(width, Patience("val_loss", 0, 2, 10, 0.09432))
    assert len(text) <= width and "…" not in text  # fields are whole or gone, never cut
    assert text.startswith("epoch 11  ") and re.search(r"\bpat(ience)? 0/2\b", text), text
    if width >= 80:
        assert "patience 0/2, best 0.09432" in text and "ETA " in text and "(run 0:22)" in text
    if "img/s" in text or "steps" in text:  # the rate and the step count give way before the counter's best epoch
        assert "patience 0/2, best 0.09432 at epoch 10" in text


def test_without_early_stopping_the_progress_line_keeps_its_figures() -> None:
    text = drawn_progress(80, None)
    assert "pat" not in text and "49,832/50,000 steps" in text and "1,234 img/s" in text and "(run 0:22)" in text


def test_a_terminal_sees_a_progress_bar_that_goes_away(tmp_path: Path) -> None:
    screen = pyte.Screen(100, 30)
    stream = pyte.ByteStream(screen)
    master, slave = pty.openpty()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TERM": "xterm", "COLUMNS": "100", "LINES": "30"}
    cmd = [sys.executable, "-m", "rdfia_tui", "run", "circles-sgd", "--set", "train.epochs=3", "--runs-dir", str(tmp_path)]
    proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    bar_seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            stream.feed(chunk)
            bar_seen += [line for line in screen.display if "steps" in line and "img/s" in line and "ETA" in line]
        elif proc.poll() is not None:
            break
    proc.wait(timeout=60)
    os.close(master)
    assert proc.returncode == 0
    assert any(re.search(r"epoch [123] .* \d+/800 steps +[\d,]+ img/s +ETA", line) for line in bar_seen), bar_seen[:3]
    final = "\n".join(screen.display)
    assert "steps" not in final and "ETA" not in final  # transient: gone when the lines are printed
    assert re.search(r"^ +3/3 \|", final, re.M) and "completed: final test accuracy" in final
