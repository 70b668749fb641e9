"""Each benchmark script runs with one command and prints JSON (tiny sizes: a smoke test, not a timing)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import summary_of

REPO = Path(__file__).resolve().parents[1]


def bench(script: str, *args: str, timeout: float = 300) -> dict:
    out = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout)
    assert result["machine"]["cores"] >= 1 and result["machine"]["date"]
    return result


def test_mlp_step_times_the_three_implementations() -> None:
    result = bench("mlp_step.py", "--steps", "5", "--repeats", "1", "--threads", "1")
    for size in ("circles", "mnist"):
        times = result["results"][size]["us_per_step"]
        assert set(times) == {"module", "autograd", "manual"}
        assert all(t["median"] > 0 for t in times.values())
        assert result["results"][size]["relative_to_module"]["module"] == 1.0


def test_ui_overhead_runs_headless_and_in_the_console(tmp_path: Path) -> None:
    result = bench("ui_overhead.py", "--preset", "circles-mlp", "--set", "train.epochs=2", "--repeats", "1", "--runs-dir", str(tmp_path))
    row = result["result"]
    assert row["headless_s"]["median"] > 0 and row["console_s"]["median"] > 0
    assert row["ratio_of_medians"] == pytest.approx(row["console_s"]["median"] / row["headless_s"]["median"])
    # two runs, each in a process of its own, each leaving a record
    pids = {summary_of(folder.parent)["pid"] for folder in tmp_path.glob("*/summary.json")}
    assert len(pids) == 2 and os.getpid() not in pids


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_startup_sees_the_first_frame_and_times_help() -> None:
    result = bench("startup.py", "--repeats", "1")
    assert 0 < result["first_frame_s"]["median"] < 60
    assert 0 < result["help_s"]["median"] < 60
    assert result["import_torch_s"]["median"] < result["circles_run_30_epochs_s"]["median"] < 120


def test_threads_times_one_thread_against_every_core_idle_and_busy() -> None:
    result = bench("threads.py", "--preset", "circles-mlp", "--set", "train.epochs=1", "--repeats", "1")
    circles = result["presets"]["circles-mlp"]
    assert circles["step_macs"] == 3 * 22 * 10  # the 2-4-2 net's 22 weights, batch 10, forward + backward
    keys = {f"{t} thread{'s' if t > 1 else ''}, {load}" for t in sorted({1, result["cores"]}) for load in ("idle", "busy")}
    assert set(circles["wall_s"]) == keys and all(v["median"] > 0 for v in circles["wall_s"].values())


def test_engine_vs_naive_on_a_few_real_images(shared_data: Path, tmp_path: Path) -> None:
    result = bench(
        "engine_vs_naive.py",
        "--data",
        str(shared_data),
        "--limit",
        "300",
        "--repeats",
        "1",
        "--workers",
        "0",
        "--runs-dir",
        str(tmp_path),
    )
    assert result["train_images"] == 270  # 300 minus the preset's 10 % validation split
    assert result["naive_images_per_s"]["median"] > 0 and result["engine_images_per_s"]["median"] > 0
    assert 0 <= result["naive_test_acc"]["median"] <= 1 and 0 <= result["engine_test_acc"]["median"] <= 1


def test_missing_data_is_one_line_and_exit_2(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "engine_vs_naive.py"), "--data", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "cifar10.npz" in out.stderr


def test_speed_settings_compares_variants_against_the_first(shared_data: Path, tmp_path: Path) -> None:
    result = bench(
        "speed_settings.py",
        "--data",
        str(shared_data),
        "--limit",
        "200",
        "--epochs",
        "1",
        "--repeats",
        "1",
        "--only",
        "fp32, contiguous",
        "--only",
        "fp32, channels_last, b512",
        "--runs-dir",
        str(tmp_path),
    )
    rows = result["results"]
    assert list(rows) == ["fp32, contiguous", "fp32, channels_last, b512"]
    assert rows["fp32, contiguous"]["relative_to_first_variant"] == 1.0
    speed = rows["fp32, contiguous"]["speed"]
    assert speed == {"precision": "fp32", "channels_last": False, "compile": "off", "threads": speed["threads"]} and speed["threads"] >= 1
    assert rows["fp32, channels_last, b512"]["speed"]["channels_last"] is True


def test_chart_redraw_times_each_smoothing_mode() -> None:
    result = bench("chart_redraw.py", "--steps", "400", "--repeats", "2")
    assert result["steps"] == 400 and set(result["redraw_s"]) == {"off", "EMA 0.9", "mean of 25", "EMA 0.9 + band"}
    assert all(len(t["runs"]) == 2 and t["median"] > 0 for t in result["redraw_s"].values())


def test_roofline_counts_the_flop_of_a_training_step_and_relates_the_three_rates(shared_data: Path) -> None:
    from rdfia_tui.engine.layer_plan import plan_table
    from rdfia_tui.engine.presets import load_preset
    from rdfia_tui.engine.speed import example_macs

    result = bench("roofline.py", "--data", str(shared_data), "--precision", "fp32", "--matmul-n", "64", "--seconds", "0.05",
                   "--batch", "16", "--epochs", "2", "--set", "data.limit_train=300")  # fmt: skip
    row = result["results"]["cifar10-convnet"]["fp32"]
    table = plan_table(load_preset("cifar10-convnet").model, (3, 32, 32), 10)
    conv1 = table.rows[0].params * 32 * 32  # the first layer's input needs no gradient
    assert row["train_flop_per_image"] == pytest.approx(6 * example_macs(table) - 2 * conv1, rel=0.01)
    assert row["engine_of_bare"] == pytest.approx(row["engine_images_per_s"] / row["bare_images_per_s"])
    assert row["bare_of_peak"] == pytest.approx(row["bare_flop_per_s"] / row["peak_matmul_flop_per_s"])
    assert row["engine_flop_per_s"] == pytest.approx(row["engine_images_per_s"] * row["train_flop_per_image"])


def test_time_to_accuracy_finds_the_first_epoch_of_each_threshold(shared_data: Path) -> None:
    result = bench("time_to_accuracy.py", "--data", str(shared_data), "--preset", "cifar10-convnet", "--seeds", "0", "1",
                   "--set", "data.limit_train=300", "--set", "train.epochs=2", "--thresholds", "0.0", "1.0")  # fmt: skip
    row = result["presets"]["cifar10-convnet"]
    assert len(row["runs"]) == 2 and [e["epoch"] for e in row["runs"][0]["epochs"]] == [1, 2]
    assert row["thresholds"]["0.00"]["epoch"] == 1 and row["thresholds"]["1.00"] is None
    first = sorted(r["epochs"][0]["wall_s"] for r in row["runs"])
    assert row["thresholds"]["0.00"]["wall_s"] == pytest.approx(sum(first) / 2, abs=0.051)  # the median of two


def test_exact_speedups_times_the_three_forms_and_the_eval_batches() -> None:
    result = bench("exact_speedups.py", "--precision", "fp32", "--repeats", "1", "--seconds", "0.01", "--eval-batch", "8", "16")
    row = result["results"]["cifar10-convnet"]["fp32"]
    assert set(row["training_images_per_s"]) == {"relu→pool", "pool→relu", "pool→relu, in-place"}
    assert row["training_images_per_s"]["relu→pool"]["vs_course_order"] == 1.0
    assert set(row["eval_images_per_s"]) == {"8", "16"} and all(v > 0 for v in row["eval_images_per_s"].values())


@pytest.mark.parametrize(
    ("script", "args", "fragment"),
    [
        ("time_to_accuracy.py", ["--preset", "nosuch"], "no preset named 'nosuch'"),
        ("time_to_accuracy.py", ["--preset", "cifar10-fast", "--set", "train.label_smoothing=3"], "train.label_smoothing: got 3.0"),
        ("roofline.py", ["--preset", "cifar10-convnet", "--set", "nokey"], "expected section.key=value"),
        ("time_to_accuracy.py", ["--preset", "cifar10-fast", "--thresholds", "80"], "thresholds are fractions"),
    ],
)
def test_a_benchmarks_user_mistake_is_one_line_and_exit_2(script: str, args: list[str], fragment: str, shared_data: Path) -> None:
    out = subprocess.run([sys.executable, str(REPO / "benchmarks" / script), "--data", str(shared_data), *args],
                         capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert fragment in out.stderr.strip().splitlines()[-1], out.stderr
