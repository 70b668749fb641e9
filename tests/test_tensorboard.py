"""TensorBoard event files (train.tensorboard and rdfia-tui export), read back with TensorBoard's own EventAccumulator."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from rdfia_tui.cli.main import main
from rdfia_tui.engine.config import RunConfig
from rdfia_tui.engine.events import BatchProgress
from rdfia_tui.engine.tensorboard_log import INSTALL_HINT, confusion_image, flat_config, step_losses, used_config
from tests.helpers import TINY_MODEL, rdfia, run_folder_from, summary_of

pytest.importorskip("tensorboard", reason="the tensorboard extra is not installed")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData

OLD_RUN = Path(__file__).parent / "fixtures" / "run-written-before-the-refactor"
EPOCH_TAGS = {"loss/train": "train_loss", "accuracy/train": "train_acc", "loss/val": "val_loss", "accuracy/val": "val_acc",
              "loss/test": "test_loss", "accuracy/test": "test_acc", "lr": "lr"}  # fmt: skip


def accumulated(folder: Path) -> EventAccumulator:
    """Every scalar, image and plugin record of the event files in ``folder``."""
    acc = EventAccumulator(str(folder), size_guidance={"scalars": 0, "images": 0, "tensors": 0})
    acc.Reload()
    return acc


def scalars(acc: EventAccumulator, tag: str) -> list[tuple[int, float]]:
    return [(e.step, e.value) for e in acc.Scalars(tag)]


def metrics_rows(run: Path) -> list[dict[str, float]]:
    with open(run / "metrics.csv", encoding="utf-8") as fh:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(fh)]


def hparams_of(acc: EventAccumulator) -> dict[str, object]:
    """The HParams view's session values by name (numbers as floats, text as str)."""
    for content in acc.PluginTagToContent("hparams").values():
        data = HParamsPluginData.FromString(content)
        if data.HasField("session_start_info"):
            values = data.session_start_info.hparams
            return {k: v.number_value if v.HasField("number_value") else v.string_value for k, v in values.items()}
    raise AssertionError("no session_start_info in the hparams plugin data")


def steps_per_epoch(run: Path) -> int:
    first = json.loads((run / "events.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert first["type"] == "RunStarted"
    return first["steps_per_epoch"]


@pytest.fixture(scope="module")
def circles_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """circles-mlp for 3 epochs without a validation split, with train.tensorboard on."""
    cwd = tmp_path_factory.mktemp("circles")
    sets = ("--set", "train.epochs=3", "--set", "data.val_split=0", "--set", "train.tensorboard=true", "--set", "train.device=cpu")
    result = rdfia("run", "circles-mlp", *sets, "--runs-dir", str(cwd / "runs"), cwd=cwd)
    assert result.returncode == 0, result.stderr
    return run_folder_from(result).absolute()


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """digits-mlp (10 classes, a validation split) for 2 epochs with train.tensorboard on."""
    cwd = tmp_path_factory.mktemp("digits")
    sets = ("--set", "train.epochs=2", "--set", "train.tensorboard=true", "--set", "train.device=cpu")
    result = rdfia("run", "digits-mlp", *sets, "--runs-dir", str(cwd / "runs"), cwd=cwd)
    assert result.returncode == 0, result.stderr
    return run_folder_from(result).absolute()


# ---- a real run ----------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["circles_run", "digits_run"])
def test_epoch_scalars_equal_metrics_csv(which: str, request: pytest.FixtureRequest) -> None:
    run = request.getfixturevalue(which)
    acc, rows = accumulated(run / "tensorboard"), metrics_rows(run)
    has_val = summary_of(run)["sizes"]["val"] > 0
    for tag, column in EPOCH_TAGS.items():
        if tag.endswith("/val") and not has_val:
            continue
        written = scalars(acc, tag)
        assert [step for step, _ in written] == [int(row["epoch"]) for row in rows] == list(range(len(rows)))
        assert [v for _, v in written] == pytest.approx([row[column] for row in rows], rel=1e-6), tag


def test_a_split_the_run_does_not_have_is_not_written(circles_run: Path) -> None:
    tags = set(accumulated(circles_run / "tensorboard").Tags()["scalars"])
    assert summary_of(circles_run)["sizes"]["val"] == 0
    assert {"loss/train", "loss/test", "accuracy/test"} <= tags
    assert not tags & {"loss/val", "accuracy/val", "hparams/final_val_loss"}


def test_every_training_step_has_its_loss(circles_run: Path) -> None:
    written = scalars(accumulated(circles_run / "tensorboard"), "loss/train_step")
    total = 3 * steps_per_epoch(circles_run)
    assert [step for step, _ in written] == list(range(1, total + 1))
    mean_of_epoch_1 = np.mean([v for step, v in written if step <= steps_per_epoch(circles_run)])
    assert mean_of_epoch_1 == pytest.approx(metrics_rows(circles_run)[1]["train_loss"], rel=1e-5)  # equal batches: the mean of the steps


def test_hparams_hold_the_config_and_the_final_accuracy(circles_run: Path) -> None:
    acc, summary = accumulated(circles_run / "tensorboard"), summary_of(circles_run)
    values = hparams_of(acc)
    assert values["optim.lr"] == pytest.approx(summary["config"]["optim"]["lr"])
    assert values["model.hidden"] == "[4]" and values["train.tensorboard"] == "true"
    unused = {"model.conv_channels", "model.fc", "optim.beta1", "schedule.gamma", "train.early_stop_metric"}  # an MLP, SGD, constant lr
    assert not unused & values.keys() and {"optim.momentum", "data.noise"} <= values.keys()
    assert values["preset"] == "circles-mlp" and values["status"] == "completed"
    assert scalars(acc, "hparams/final_test_acc") == [(3, pytest.approx(summary["final_test_acc"], rel=1e-6))]
    assert scalars(acc, "hparams/best_test_acc") == [(3, pytest.approx(summary["best_test_acc"], rel=1e-6))]
    assert not [p for p in (circles_run / "tensorboard").iterdir() if p.is_dir()]  # no timestamped subfolder: one run in TensorBoard


def test_the_test_confusion_matrix_is_an_image_each_epoch(digits_run: Path) -> None:
    images = accumulated(digits_run / "tensorboard").Images("confusion/test")
    assert [image.step for image in images] == [0, 1, 2]
    last = np.asarray(Image.open(io.BytesIO(images[-1].encoded_image_string)).convert("RGB"))
    assert last.shape == (250, 250, 3)  # 10 classes, 25 pixels a cell
    cells = last[12::25, 12::25].astype(int).sum(axis=2)  # each cell's centre; darker is more examples
    assert np.diag(cells).max() < np.median(cells[~np.eye(10, dtype=bool)])  # trained: every class mostly right


# ---- export --------------------------------------------------------------------------------------
def test_export_writes_the_same_curves(circles_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "tb"
    assert main(["export", str(circles_run), "--tensorboard", str(out)]) == 0
    assert f"{circles_run} -> {out / circles_run.name}" in capsys.readouterr().out
    live, exported = accumulated(circles_run / "tensorboard"), accumulated(out / circles_run.name)
    assert exported.Tags()["scalars"] and sorted(exported.Tags()["scalars"]) == sorted(live.Tags()["scalars"])
    for tag in live.Tags()["scalars"]:
        assert scalars(exported, tag) == scalars(live, tag), tag
    assert hparams_of(exported) == hparams_of(live)


def test_export_of_a_sweep_writes_each_point(circles_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    runs, out = tmp_path / "runs", tmp_path / "tb"
    for point in ("lr=0.1", "lr=0.3"):
        shutil.copytree(circles_run, runs / "my-sweep" / point, ignore=shutil.ignore_patterns("tensorboard"))
    (runs / "my-sweep" / "sweep.json").write_text("{}", encoding="utf-8")
    assert main(["export", "my-sweep", "--tensorboard", str(out), "--runs-dir", str(runs)]) == 0
    printed = capsys.readouterr().out
    for point in ("lr=0.1", "lr=0.3"):
        assert str(out / "my-sweep" / point) in printed
        assert len(scalars(accumulated(out / "my-sweep" / point), "loss/test")) == 4


def test_export_refuses_to_write_a_run_twice(circles_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "tb"
    assert main(["export", str(circles_run), "--tensorboard", str(out)]) == 0
    capsys.readouterr()
    assert main(["export", str(circles_run), "--tensorboard", str(out)]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "holds TensorBoard event files already" in err[0]


def one_line_error(argv: list[str], capsys: pytest.CaptureFixture) -> str:
    """The one stderr line of a command that fails with a non-zero exit code."""
    assert main(argv) != 0
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err
    return lines[0]


def test_an_unknown_run_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    line = one_line_error(["export", "no-such-run", "--tensorboard", str(tmp_path / "tb"), "--runs-dir", str(tmp_path)], capsys)
    assert "no-such-run does not exist" in line
    assert not (tmp_path / "tb").exists()


def test_a_run_without_events_is_named(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    line = one_line_error(["export", str(OLD_RUN), "--tensorboard", str(tmp_path / "tb")], capsys)
    assert str(OLD_RUN) in line and "no events.jsonl" in line
    assert not (tmp_path / "tb").exists()


@pytest.fixture
def without_tensorboard(monkeypatch: pytest.MonkeyPatch) -> None:
    """importlib.util.find_spec answers that the tensorboard package is not installed."""
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a, **k: None if name == "tensorboard" else real(name, *a, **k))


@pytest.mark.usefixtures("without_tensorboard")
def test_a_run_without_tensorboard_stops_before_training(runs_dir: Path, data_root: Path, capsys: pytest.CaptureFixture) -> None:
    argv = ["run", "circles-mlp", "--set", "train.tensorboard=true", "--set", "train.device=cpu", "--runs-dir", str(runs_dir)]
    assert one_line_error(argv, capsys) == f"rdfia-tui: error: {INSTALL_HINT}"
    assert INSTALL_HINT == 'train.tensorboard needs TensorBoard: pip install -e ".[tensorboard]" in the rdfia-tui clone'
    assert not runs_dir.exists() or not any(runs_dir.iterdir())  # no run folder: nothing started


@pytest.mark.usefixtures("without_tensorboard")
def test_export_without_tensorboard_is_one_line(circles_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    line = one_line_error(["export", str(circles_run), "--tensorboard", str(tmp_path / "tb")], capsys)
    assert (
        line == 'rdfia-tui: error: rdfia-tui export --tensorboard needs TensorBoard: pip install -e ".[tensorboard]" in the rdfia-tui clone'
    )
    assert "train.tensorboard" not in line  # a key export's user never set
    assert not (tmp_path / "tb").exists()


# ---- a resumed run -------------------------------------------------------------------------------
def test_a_resumed_run_writes_each_epoch_once(tmp_path: Path) -> None:
    sets = ("--set", "train.epochs=2", "--set", "train.checkpoint=epoch", "--set", "train.tensorboard=true", "--set", "train.device=cpu")
    first = rdfia("run", "circles-mlp", *sets, "--set", "data.n_samples=200", "--runs-dir", str(tmp_path / "runs"), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    run = run_folder_from(first).absolute()
    again = rdfia("resume", str(run), "--set", "train.epochs=3", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    acc, rows = accumulated(run / "tensorboard"), metrics_rows(run)
    assert scalars(acc, "loss/test") == [(e, pytest.approx(rows[e]["test_loss"], rel=1e-6)) for e in range(4)]
    assert [image.step for image in acc.Images("confusion/test")] == [0, 1, 2, 3]


# ---- the pieces ----------------------------------------------------------------------------------
def test_confusion_image_rows_are_fractions_of_their_class() -> None:
    image = confusion_image(((3, 1), (0, 0)))
    assert image.shape == (256, 256, 3) and image.dtype == np.uint8
    assert image[0, 0].tolist() == [70, 100, 144]  # 3/4 of the way from white to dark blue
    assert image[0, 128].tolist() == [193, 203, 218]  # 1/4
    assert image[128, 0].tolist() == image[128, 128].tolist() == [255, 255, 255]  # a class without examples
    with pytest.raises(ValueError, match="square"):
        confusion_image(((1, 2, 3), (4, 5, 6)))


def test_step_losses_count_from_the_first_training_step() -> None:
    event = BatchProgress(epoch=2, step=7, steps=10, loss=0.5, images_per_s=0.0, eta_s=0.0, losses=(0.4, 0.5, 0.6))
    assert step_losses(event, 10) == [(15, 0.4), (16, 0.5), (17, 0.6)]
    assert step_losses(BatchProgress(2, 7, 10, 0.5, 0.0, 0.0), 10) == [(17, 0.5)]  # an older record: the mean at its step


def test_flat_config_names_keys_by_section() -> None:
    flat = flat_config({"name": "x", "model": {"hidden": [64, 32], "batch_norm": False}, "optim": {"lr": 0.1, "name": "sgd"}})
    assert flat == {"model.hidden": "[64, 32]", "model.batch_norm": "false", "optim.lr": 0.1, "optim.name": "sgd"}


def test_hparams_of_a_convnet_leave_out_the_mlp_keys() -> None:
    config = RunConfig(model=TINY_MODEL).to_dict()
    used = used_config(config)
    assert not {"model.hidden", "model.activation", "model.impl"} & used.keys()
    assert used["model.conv_channels"] == "[4]" and used["model.arch"] == "convnet" and used["optim.lr"] == 0.1
    assert used.keys() < flat_config(config).keys()


def test_a_config_this_version_cannot_read_keeps_every_key() -> None:
    older = {"model": {"arch": "convnet", "hidden": [4], "renamed_since": 3}, "optim": {"lr": 0.1}}
    assert used_config(older) == flat_config(older)  # none dropped on a guess
