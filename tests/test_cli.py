"""The headless command line, end to end in subprocesses: exit codes, printed lines and run records."""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import pytest

from rdfia_tui.engine.events import EpochMetrics
from rdfia_tui.engine.presets import load
from tests.helpers import Result, assert_clean_error, rdfia, run_folder_from, summary_of

REPO = Path(__file__).resolve().parents[1]
SHIPPED = sorted(p.stem for p in (REPO / "presets").glob("*.toml"))
ANSI = re.compile(r"\x1b[\[\]()#;?]*[0-9;]*[A-Za-z@-~]?")
EPOCH_LINE = re.compile(r"^\s*(\d+)/(\d+)\s")












def no_run_folders(runs_dir: Path) -> bool:
    return not runs_dir.exists() or not any(runs_dir.iterdir())


# --------------------------------------------------------------------------- shared runs (module scope: each trains once)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="module")
def shared_runs(workdir: Path) -> Path:
    return workdir / "runs"


@pytest.fixture(scope="module")
def three_epochs(workdir: Path, shared_runs: Path) -> Result:
    return rdfia("run", "circles-mlp", "--set", "train.epochs=3", "--runs-dir", str(shared_runs), cwd=workdir)


@pytest.fixture(scope="module")
def diverged(workdir: Path, shared_runs: Path) -> Result:
    # tanh saturates, so a huge lr alone leaves the loss finite; relu lets the logits overflow float32
    return rdfia(
        "run",
        "circles-mlp",
        "--set",
        "optim.lr=1e30",
        "--set",
        "model.activation=relu",
        "--set",
        "train.epochs=3",
        "--runs-dir",
        str(shared_runs),
        cwd=workdir,
    )


# --------------------------------------------------------------------------- help


def test_no_arguments_prints_help_and_exits_0(tmp_path: Path) -> None:
    result = rdfia(cwd=tmp_path, timeout=15)
    assert result.returncode == 0, result.stderr
    assert "usage: rdfia-tui" in result.stdout
    for command in ("run", "layers", "presets", "runs"):
        assert command in result.stdout
    assert not ANSI.search(result.stdout)


def test_console_options_without_a_terminal_are_checked_then_refused(tmp_path: Path) -> None:
    """Asked for the console (--preset, --set, --start) with no terminal: a bad preset is named first, then the
    missing terminal, each in one line with exit 2, never the help text and 0."""
    (tmp_path / "a.toml").write_text('base = "b.toml"\n')
    (tmp_path / "b.toml").write_text('base = "a.toml"\n')
    assert_clean_error(rdfia("--preset", "a.toml", cwd=tmp_path, timeout=60), "cycle of bases")
    assert_clean_error(rdfia("--preset", "circles-mlp", cwd=tmp_path, timeout=60), "the console needs a terminal", "rdfia-tui run")
    assert_clean_error(rdfia("--set", "optim.lrr=1", cwd=tmp_path, timeout=60), "unknown key 'optim.lrr'")


def test_help_flag(tmp_path: Path) -> None:
    result = rdfia("--help", cwd=tmp_path, timeout=60)
    assert result.returncode == 0
    assert "usage: rdfia-tui" in result.stdout
    for command in ("run", "layers", "presets", "runs"):
        assert re.search(rf"^\s+{command}\s", result.stdout, re.MULTILINE), command
    assert result.stderr == ""


def test_run_help_documents_set_and_runs_dir(tmp_path: Path) -> None:
    result = rdfia("run", "--help", cwd=tmp_path, timeout=60)
    assert result.returncode == 0
    assert "--set" in result.stdout and "--runs-dir" in result.stdout and "--device" in result.stdout


# --------------------------------------------------------------------------- a short run and its records


def test_short_run_prints_one_line_per_epoch(three_epochs: Result, shared_runs: Path) -> None:
    assert three_epochs.returncode == 0, three_epochs.stderr
    assert "Traceback" not in three_epochs.stderr
    epoch_lines = [m for line in three_epochs.stdout.splitlines() if (m := EPOCH_LINE.match(line))]
    assert [int(m.group(1)) for m in epoch_lines] == [0, 1, 2, 3]
    assert {int(m.group(2)) for m in epoch_lines} == {3}
    folder = run_folder_from(three_epochs)
    assert folder.parent.resolve() == shared_runs.resolve()
    assert "circles-mlp" in folder.name


def test_short_run_summary(three_epochs: Result) -> None:
    summary = summary_of(run_folder_from(three_epochs))
    assert summary["status"] == "completed"
    assert summary["preset"] == "circles-mlp"
    assert summary["config"]["train"]["epochs"] == 3
    rows = summary["epochs"]
    assert [row["epoch"] for row in rows] == [0, 1, 2, 3]
    assert summary["final_test_acc"] == rows[-1]["test_acc"]
    assert summary["best_test_acc"] == max(row["test_acc"] for row in rows)
    assert summary["epochs_completed"] == 3
    for row in rows:
        for column in ("train_acc", "val_acc", "test_acc"):
            assert 0.0 <= row[column] <= 1.0
    # the completed line agrees with the recorded final accuracy
    assert f"final test accuracy {100 * summary['final_test_acc']:.2f}%" in three_epochs.stdout
    # the epoch lines show the recorded test accuracy (to one decimal)
    shown = [line for line in three_epochs.stdout.splitlines() if EPOCH_LINE.match(line)]
    for line, row in zip(shown, rows, strict=True):
        assert f"{100 * row['test_acc']:5.1f}%" in line


def test_short_run_config_toml_matches_summary(three_epochs: Result) -> None:
    folder = run_folder_from(three_epochs)
    cfg = load(folder / "config.toml")
    summary = summary_of(folder)
    assert cfg.to_dict() == summary["config"]
    assert cfg.train.epochs == 3
    assert cfg.name == "circles-mlp"


def test_short_run_metrics_csv_matches_summary(three_epochs: Result) -> None:
    folder = run_folder_from(three_epochs)
    with open(folder / "metrics.csv", newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames or ()) == EpochMetrics.columns()
        rows = list(reader)
    epochs = summary_of(folder)["epochs"]
    assert len(rows) == len(epochs) == 4
    for csv_row, json_row in zip(rows, epochs, strict=True):
        for column, text in csv_row.items():
            recorded = json_row[column]
            if recorded is None:  # JSON has no NaN
                assert math.isnan(float(text)), (column, text)
            else:
                assert float(text) == recorded, (column, text, recorded)


def test_stdout_without_a_tty_is_plain_text(three_epochs: Result) -> None:
    assert not ANSI.search(three_epochs.stdout), "ANSI escape codes in piped stdout"
    assert "\x1b" not in three_epochs.stdout and "\x1b" not in three_epochs.stderr
    assert "\r" not in three_epochs.stdout and "\r" not in three_epochs.stderr


def test_full_default_run_learns_circles(tmp_path: Path) -> None:
    runs_dir = tmp_path / "runs"
    result = rdfia("run", "circles-mlp", "--runs-dir", str(runs_dir), cwd=tmp_path, timeout=400)
    assert result.returncode == 0, result.stderr
    summary = summary_of(run_folder_from(result))
    assert summary["status"] == "completed"
    assert summary["config"]["train"]["epochs"] == 30
    assert len(summary["epochs"]) == 31
    assert summary["final_test_acc"] >= 0.95, summary["final_test_acc"]
    # epoch 0 is the untrained network: far from what training reaches
    assert summary["epochs"][0]["test_acc"] < 0.8


def test_step_schedule_reaches_the_recorded_lr(tmp_path: Path) -> None:
    result = rdfia(
        "run",
        "circles-mlp",
        "--set",
        "train.epochs=3",
        "--set",
        "schedule.name=step",
        "--set",
        "schedule.step_size=2",
        "--set",
        "schedule.gamma=0.5",
        "--runs-dir",
        str(tmp_path / "runs"),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    lrs = [row["lr"] for row in summary_of(run_folder_from(result))["epochs"]]
    lr0 = 0.3  # circles-mlp's optim.lr; training epoch e uses t = e - 1, epoch 0 shows t = 0
    assert lrs == pytest.approx([lr0, lr0, lr0, lr0 * 0.5])


# --------------------------------------------------------------------------- divergence


def test_diverging_run_exits_nonzero_and_names_epoch_and_step(diverged: Result) -> None:
    assert diverged.returncode not in (0, 2), (diverged.returncode, diverged.stderr)
    assert "Traceback" not in diverged.stderr
    lines = diverged.stderr_lines()
    assert len(lines) == 1, lines
    assert "diverged" in lines[0]
    match = re.search(r"epoch (\d+), step (\d+)", lines[0])
    assert match, lines[0]
    assert int(match.group(1)) >= 1 and int(match.group(2)) >= 1
    summary = summary_of(run_folder_from(diverged))
    assert summary["status"] == "diverged"
    assert f"epoch {match.group(1)}, step {match.group(2)}" in summary["message"]
    # only the epochs before the divergence are recorded
    assert [row["epoch"] for row in summary["epochs"]] == list(range(int(match.group(1))))


# --------------------------------------------------------------------------- runs and presets


def test_runs_lists_the_recorded_runs(three_epochs: Result, diverged: Result, workdir: Path, shared_runs: Path) -> None:
    completed_dir = run_folder_from(three_epochs).name
    diverged_dir = run_folder_from(diverged).name
    result = rdfia("runs", "--runs-dir", str(shared_runs), cwd=workdir, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    by_folder = {line.split()[0]: line for line in lines if line.strip()}
    assert re.search(r"\bcircles-mlp\b.*\bcompleted\b", by_folder[completed_dir])
    assert re.search(r"\bcircles-mlp\b.*\bdiverged\b", by_folder[diverged_dir])
    assert "3/3" in by_folder[completed_dir]
    final = summary_of(run_folder_from(three_epochs))["final_test_acc"]
    assert f"{100 * final:.2f}%" in by_folder[completed_dir]
    assert len([line for line in lines if "circles-mlp" in line]) == 2


@pytest.mark.parametrize("make_dir", [False, True], ids=["missing-dir", "empty-dir"])
def test_runs_in_an_empty_folder_says_how_to_start(tmp_path: Path, make_dir: bool) -> None:
    runs_dir = tmp_path / "nothing-here"
    if make_dir:
        runs_dir.mkdir()
    result = rdfia("runs", "--runs-dir", str(runs_dir), cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    assert str(runs_dir) in lines[0]
    assert "rdfia-tui run" in lines[0]


def test_presets_lists_every_shipped_preset(tmp_path: Path) -> None:
    result = rdfia("presets", cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    section = result.stdout.split("\n\n")[0].splitlines()
    assert section[0] == "presets (rdfia-tui run NAME, or in the console):"
    listed = [line.split()[0] for line in section[1:] if line and not line.startswith(" ")]
    assert listed == SHIPPED
    words = " ".join(result.stdout.split())  # descriptions may wrap to the terminal
    for name in SHIPPED:
        description = load(REPO / "presets" / f"{name}.toml").description
        assert " ".join(description.split()) in words


# --------------------------------------------------------------------------- layers


def _layer_rows(stdout: str) -> dict[str, list[str]]:
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:2] == ["layer", "type"])
    assert set(lines[start + 1].replace(" ", "")) == {"-"}
    rows = {}
    for line in lines[start + 2 :]:
        if line.startswith("total parameters"):
            break
        cells = line.split()
        rows[cells[0]] = cells
    return rows


def _expected_receptive_fields() -> list[int]:
    """rf += (k - 1) * jump; jump *= stride, over conv 5x5 / pool 2x2 stride 2, three times."""
    rf, jump, out = 1, 1, []
    for k, s in [(5, 1), (2, 2)] * 3:
        rf += (k - 1) * jump
        jump *= s
        out.append(rf)
    return out


def test_layers_cifar10_convnet(tmp_path: Path) -> None:
    result = rdfia("layers", "cifar10-convnet", cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "231,170" in result.stdout
    rows = _layer_rows(result.stdout)
    spatial = [cells for cells in rows.values() if "Conv" in cells[1] or "Pool" in cells[1]]
    assert [cells[0] for cells in spatial] == ["conv1", "pool1", "conv2", "pool2", "conv3", "pool3"]
    receptive_fields = [int(cells[4]) for cells in spatial]
    assert receptive_fields == _expected_receptive_fields() == [5, 6, 14, 16, 32, 36]
    assert [int(cells[5]) for cells in spatial] == [1, 2, 2, 4, 4, 8]
    assert rows["pool3"][2] == "64×1×1"
    # parameters: 3·32·25+32, 32·64·25+64, 64·64·25+64, 64·1000+1000, 1000·10+10
    params = {name: int(cells[3].replace(",", "")) for name, cells in rows.items()}
    assert params["conv1"] == 3 * 32 * 25 + 32
    assert params["conv2"] == 32 * 64 * 25 + 64
    assert params["conv3"] == 64 * 64 * 25 + 64
    assert sum(params.values()) == 231_170


def test_layers_too_small_input_names_the_layer(tmp_path: Path) -> None:
    result = rdfia("layers", "cifar10-convnet", "--set", "data.dataset=mnist", cwd=tmp_path, timeout=120)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "pool3" in result.stderr
    assert len(result.stderr_lines()) == 1
    # the table up to the failing layer is still shown
    assert "pool3" in _layer_rows(result.stdout)


# --------------------------------------------------------------------------- user errors: exit 2, one line, no traceback


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        pytest.param(["run", "circle-mlp"], ["circle-mlp", "did you mean 'circles-mlp'"], id="unknown-preset"),
        pytest.param(["run", "circles-mlp", "--set", "optim.lr=-1"], ["optim.lr", "-1", "greater than 0"], id="negative-lr"),
        pytest.param(["run", "circles-mlp", "--set", "optim.lrr=1"], ["optim.lrr", "did you mean 'optim.lr'"], id="unknown-key"),
        pytest.param(["run", "circles-mlp", "--set", "train.epochs=x"], ["train.epochs", "'x'", "an integer"], id="epochs-not-int"),
        pytest.param(["run", "circles-mlp", "--set", "epochs=3"], ["section.key=value"], id="set-without-section"),
        pytest.param(["layers", "circle-mlp"], ["did you mean 'circles-mlp'"], id="layers-unknown-preset"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path: Path, args: list[str], fragments: list[str]) -> None:
    runs_dir = tmp_path / "runs"
    extra = ["--runs-dir", str(runs_dir)] if args[0] == "run" else []
    result = rdfia(*args, *extra, cwd=tmp_path, timeout=60)
    assert_clean_error(result, *fragments)
    assert no_run_folders(runs_dir)


def test_unknown_subcommand_exits_2(tmp_path: Path) -> None:
    result = rdfia("frobnicate", cwd=tmp_path, timeout=60)
    assert_clean_error(result, "frobnicate")


def test_malformed_preset_file_exits_2(tmp_path: Path) -> None:
    preset = tmp_path / "broken.toml"
    preset.write_text('name = "broken"\n[optim\nlr = 0.1\n', encoding="utf-8")
    runs_dir = tmp_path / "runs"
    result = rdfia("run", str(preset), "--runs-dir", str(runs_dir), cwd=tmp_path, timeout=60)
    line = assert_clean_error(result, "broken.toml", "line 2")
    assert "column" in line
    assert no_run_folders(runs_dir)


def test_missing_preset_file_exits_2(tmp_path: Path) -> None:
    result = rdfia("run", str(tmp_path / "absent.toml"), "--runs-dir", str(tmp_path / "runs"), cwd=tmp_path, timeout=60)
    assert_clean_error(result, "absent.toml", "does not exist")


def test_device_cuda_without_a_gpu(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    runs_dir = tmp_path / "runs"
    result = rdfia(
        "run", "circles-mlp", "--set", "train.epochs=1", "--device", "cuda", "--runs-dir", str(runs_dir), cwd=tmp_path, timeout=120
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr_lines()
    assert len(lines) == 1, lines
    assert "cuda" in lines[0]
    assert no_run_folders(runs_dir)
