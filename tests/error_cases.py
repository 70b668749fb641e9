"""The bad-input matrix: every mistake, the command that makes it, its exit code and the message.

``tests/test_error_matrix.py`` runs each case and checks its message against docs/errors.md,
which is generated from the same list:

    python tests/error_cases.py            # rewrites docs/errors.md from the real messages
"""

from __future__ import annotations

import contextlib
import io
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "errors.md"
PLACEHOLDER = "DIR"  # the folder holding the bad files, as the docs spell it


@dataclass(frozen=True)
class Case:
    id: str
    what: str
    argv: tuple[str, ...]  # "{dir}" is replaced by the folder of bad files
    code: int
    expect: str  # a part of the message that must appear
    field: tuple[str, str] | None = None  # (key, text typed into the console's form) showing the same message
    needs_no_gpu: bool = False

    def args(self, folder: Path) -> list[str]:
        return [a.replace("{dir}", str(folder)) for a in self.argv]


def run_case(case: Case, folder: Path) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``rdfia-tui ARGS`` run in this process."""
    from rdfia_tui.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(case.args(folder))
    return code, out.getvalue(), err.getvalue()


def message_of(case: Case, folder: Path) -> str:
    """The one line the user sees, with the bad-file folder written as DIR."""
    _, out, err = run_case(case, folder)
    text = err.strip() or next((line for line in out.splitlines() if line.startswith("note:")), "")
    return text.replace(str(folder), PLACEHOLDER)


def make_bad_files(folder: Path) -> Path:
    """Every broken input the matrix points at."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 255, (20, 8, 8, 3), dtype=np.uint8)
    y = np.arange(20) % 3
    np.savez(folder / "missing-arrays.npz", x_train=x, y_train=y)
    np.savez(folder / "mismatched.npz", x_train=x, y_train=y[:10], x_test=x, y_test=y)
    np.savez(folder / "negative-label.npz", x_train=x, y_train=np.where(y == 2, -1, y), x_test=x, y_test=y)
    np.savez(folder / "label-past-names.npz", x_train=x, y_train=y, x_test=x, y_test=y, class_names=np.array(["cat", "dog"]))
    np.savez(folder / "complex.npz", x_train=x.astype(np.complex64), y_train=y, x_test=x, y_test=y)
    np.savez(folder / "float-labels.npz", x_train=x, y_train=y + 0.5, x_test=x, y_test=y)
    np.savez(folder / "flat.npz", x_train=rng.integers(0, 255, (20,)).astype(np.uint8), y_train=y, x_test=x, y_test=y)
    np.savez(folder / "test-size.npz", x_train=x, y_train=y, x_test=x[:, :4, :4], y_test=y)
    (folder / "not-an-npz.npz").write_text("hello")
    (folder / "empty-folder" / "train").mkdir(parents=True, exist_ok=True)
    (folder / "empty-folder" / "test").mkdir(parents=True, exist_ok=True)
    (folder / "broken.toml").write_text('name = "broken"\n[optim]\nlr = = 0.1\n')
    (folder / "wrong-type.toml").write_text('name = "wrong-type"\n[optim]\nlr = "fast"\n')
    (folder / "unknown-section.toml").write_text('name = "x"\n[optimiser]\nlr = 0.1\n')
    (folder / "a-file").write_text("not a folder")
    (folder / "base-cycle-a.toml").write_text('base = "base-cycle-b.toml"\n')
    (folder / "base-cycle-b.toml").write_text('base = "base-cycle-a.toml"\n')
    (folder / "base-empty.toml").write_text('base = ""\n')
    (folder / "base-typo.toml").write_text('base = "circles-mpl"\n')
    _bring_your_own(folder, rng, y)
    return folder


def _bring_your_own(folder: Path, rng: np.random.Generator, y: np.ndarray) -> None:
    """Data a user brings that must be read right or refused (issue: "Data you bring is read correctly")."""
    from PIL import Image

    x = rng.integers(0, 255, (20, 8, 8), dtype=np.uint8)
    np.savez(folder / "object-names.npz", x_train=x, y_train=y, x_test=x, y_test=y, class_names=np.array(["a", "b", "c"], dtype=object))
    np.savez(folder / "one-based.npz", x_train=x, y_train=y % 2 + 1, x_test=x, y_test=y % 2 + 1)
    np.savez(folder / "one-hot.npz", x_train=x, y_train=np.eye(3, dtype=np.int64)[y], x_test=x, y_test=y)
    np.savez(folder / "wide-ints.npz", x_train=x.astype(np.int32) * 16, y_train=y, x_test=x.astype(np.int32), y_test=y)
    np.savez(folder / "int64-images.npz", x_train=x.astype(np.int64), y_train=y, x_test=x.astype(np.int64), y_test=y)
    np.savez(folder / "mixed-kinds.npz", x_train=x, y_train=y, x_test=x / 255.0, y_test=y)
    np.savez(folder / "bool.npz", x_train=x > 100, y_train=y, x_test=x > 100, y_test=y)
    for split in ("train", "test"):
        for cls, level in (("cat", 40), ("dog", 200)):
            (folder / "classes-differ" / split / cls).mkdir(parents=True, exist_ok=True)
            Image.new("L", (6, 6), level).save(folder / "classes-differ" / split / cls / "0.png")
            (folder / "float-image" / split / cls).mkdir(parents=True, exist_ok=True)
            Image.new("L", (6, 6), level).save(folder / "float-image" / split / cls / "0.png")
            (folder / "hidden-class" / split / cls).mkdir(parents=True, exist_ok=True)
            Image.new("L", (6, 6), level).save(folder / "hidden-class" / split / cls / "0.png")
        (folder / "no-image" / split / "cat").mkdir(parents=True, exist_ok=True)
        (folder / "no-image" / split / "cat" / "notes.txt").write_text("no image here")
    (folder / "classes-differ" / "test" / "bird").mkdir(exist_ok=True)
    Image.new("L", (6, 6), 90).save(folder / "classes-differ" / "test" / "bird" / "0.png")
    Image.fromarray(np.zeros((6, 6), dtype=np.float32)).save(folder / "float-image" / "train" / "dog" / "1.tif")
    (folder / "hidden-class" / "train" / ".ipynb_checkpoints").mkdir(exist_ok=True)
    (folder / "utf16.toml").write_text('name = "x"\n', encoding="utf-16")
    (folder / "latin1.toml").write_bytes('name = "café"\n'.encode("latin-1"))


NPZ = ("run", "circles-mlp", "--set", "data.dataset=npz", "--set")
CASES: tuple[Case, ...] = (
    # learning rate
    Case(
        "lr-zero",
        "learning rate 0",
        ("run", "circles-mlp", "--set", "optim.lr=0"),
        2,
        "optim.lr: got 0.0; must be greater than 0",
        ("optim.lr", "0"),
    ),
    Case(
        "lr-negative",
        "negative learning rate",
        ("run", "circles-mlp", "--set", "optim.lr=-1"),
        2,
        "must be greater than 0",
        ("optim.lr", "-1"),
    ),
    Case(
        "lr-text",
        "learning rate not a number",
        ("run", "circles-mlp", "--set", "optim.lr=fast"),
        2,
        "optim.lr: expected a number, got 'fast'",
        ("optim.lr", "fast"),
    ),
    Case("lr-nan", "learning rate NaN", ("run", "circles-mlp", "--set", "optim.lr=nan"), 2, "must be a finite number", ("optim.lr", "nan")),
    # batch size and epochs
    Case(
        "batch-negative",
        "negative batch size",
        ("run", "circles-mlp", "--set", "train.batch_size=-3"),
        2,
        "train.batch_size: got -3; must be at least 0",
        ("train.batch_size", "-3"),
    ),
    Case(
        "batch-fraction",
        "batch size not an integer",
        ("run", "circles-mlp", "--set", "train.batch_size=2.5"),
        2,
        "train.batch_size: expected an integer, got '2.5'",
        ("train.batch_size", "2.5"),
    ),
    Case(
        "batch-larger",
        "batch larger than the dataset (allowed, said)",
        ("run", "circles-mlp", "--set", "train.batch_size=5000", "--set", "train.epochs=1", "--runs-dir", "{dir}/runs"),
        0,
        "is larger than the 800 training examples",
    ),
    Case(
        "epochs-negative",
        "negative epochs",
        ("run", "circles-mlp", "--set", "train.epochs=-1"),
        2,
        "train.epochs: got -1; must be at least 0",
        ("train.epochs", "-1"),
    ),
    # names
    Case("unknown-optimiser", "unknown optimiser", ("run", "circles-mlp", "--set", "optim.name=adamm"), 2, "did you mean 'adam'?"),
    Case("unknown-schedule", "unknown schedule", ("run", "circles-mlp", "--set", "schedule.name=stepp"), 2, "did you mean 'step'?"),
    Case("unknown-dataset", "unknown dataset", ("run", "circles-mlp", "--set", "data.dataset=cifar"), 2, "did you mean 'cifar10'?"),
    Case("unknown-activation", "unknown activation", ("run", "circles-mlp", "--set", "model.activation=rellu"), 2, "did you mean 'relu'?"),
    Case(
        "unknown-key",
        "unknown key",
        ("run", "circles-mlp", "--set", "optim.lrr=0.1"),
        2,
        "unknown key 'optim.lrr'; did you mean 'optim.lr'?",
    ),
    Case(
        "unknown-preset",
        "preset that does not exist",
        ("run", "circles-mlpp"),
        2,
        "no preset named 'circles-mlpp'; did you mean 'circles-mlp'?",
    ),
    Case(
        "unknown-device",
        "device name that does not exist",
        ("run", "circles-mlp", "--set", "train.device=gpu"),
        2,
        "must be auto, cpu, cuda, cuda:N or mps",
        ("train.device", "gpu"),
    ),
    # files
    Case("toml-malformed", "malformed TOML", ("run", "{dir}/broken.toml"), 2, "invalid TOML: Invalid value (at line 3, column 6)"),
    Case(
        "toml-wrong-type",
        "wrong type in a TOML preset",
        ("run", "{dir}/wrong-type.toml"),
        2,
        "optim.lr: expected a number, got 'fast' (str)",
    ),
    Case("toml-unknown-section", "unknown section in a preset", ("run", "{dir}/unknown-section.toml"), 2, "optimiser"),
    Case("set-no-value", "--set without =value", ("run", "circles-mlp", "--set", "optim.lr"), 2, "expected section.key=value"),
    # ranges
    Case(
        "val-split-one",
        "val_split 1",
        ("run", "circles-mlp", "--set", "data.val_split=1"),
        2,
        "data.val_split: got 1.0; must be in [0, 1)",
        ("data.val_split", "1"),
    ),
    Case(
        "val-split-negative",
        "val_split below 0",
        ("run", "circles-mlp", "--set", "data.val_split=-0.1"),
        2,
        "must be in [0, 1)",
        ("data.val_split", "-0.1"),
    ),
    Case(
        "dropout-high",
        "dropout 1.5",
        ("run", "circles-mlp", "--set", "model.dropout=1.5"),
        2,
        "model.dropout: got 1.5; must be in [0, 1)",
        ("model.dropout", "1.5"),
    ),
    Case(
        "hidden-zero",
        "a hidden layer of 0 units",
        ("run", "circles-mlp", "--set", "model.hidden=0"),
        2,
        "every entry must be at least 1",
        ("model.hidden", "0"),
    ),
    Case(
        "hidden-huge",
        "a hidden layer wider than torch's size arithmetic holds",
        ("run", "circles-mlp", "--set", "model.hidden=3000000000000000"),
        2,
        "every entry must be at most 16,777,216",
        ("model.hidden", "3000000000000000"),
    ),
    # data
    Case("data-missing-path", "npz path that does not exist", (*NPZ, "data.path={dir}/nothing.npz"), 2, "does not exist"),
    Case(
        "data-missing-arrays",
        "npz without x_test/y_test",
        (*NPZ, "data.path={dir}/missing-arrays.npz"),
        2,
        "missing array(s) x_test, y_test",
    ),
    Case(
        "data-mismatched",
        "npz with 20 images and 10 labels",
        (*NPZ, "data.path={dir}/mismatched.npz"),
        2,
        "x_train has 20 examples but y_train has 10",
    ),
    Case(
        "data-negative-label",
        "npz with a label -1",
        (*NPZ, "data.path={dir}/negative-label.npz"),
        2,
        "has the label -1; labels must be 0..K-1",
    ),
    Case(
        "data-label-range",
        "npz labels past its class_names",
        (*NPZ, "data.path={dir}/label-past-names.npz"),
        2,
        "labels go up to 2 but class_names has only 2 name(s)",
    ),
    Case("data-dtype", "npz images of the wrong dtype", (*NPZ, "data.path={dir}/complex.npz"), 2, "x_train has dtype complex64;"),
    Case("data-float-labels", "npz with float labels", (*NPZ, "data.path={dir}/float-labels.npz"), 2, "integer class labels"),
    Case("data-shape", "npz images of the wrong shape", (*NPZ, "data.path={dir}/flat.npz"), 2, "give images (N,H,W) or (N,H,W,C)"),
    Case("data-test-size", "test images of another size", (*NPZ, "data.path={dir}/test-size.npz"), 2, "but test images are"),
    Case("data-not-npz", "a file that is not an npz", (*NPZ, "data.path={dir}/not-an-npz.npz"), 2, "not a readable .npz file"),
    Case(
        "data-object-names",
        "npz class_names saved as an object array",
        (*NPZ, "data.path={dir}/object-names.npz"),
        2,
        "class_names is an object array",
    ),
    Case("data-one-based", "npz labels 1..K", (*NPZ, "data.path={dir}/one-based.npz"), 2, "labels look 1-based"),
    Case("data-one-hot", "npz one-hot labels", (*NPZ, "data.path={dir}/one-hot.npz"), 2, "looks one-hot"),
    Case("data-wide-ints", "npz integer images beyond 0..255", (*NPZ, "data.path={dir}/wide-ints.npz"), 2, ".astype(np.uint8)"),
    Case(
        "data-mixed-kinds", "npz uint8 train and float test", (*NPZ, "data.path={dir}/mixed-kinds.npz"), 2, "save both with the same dtype"
    ),
    Case("data-bool", "npz bool images", (*NPZ, "data.path={dir}/bool.npz"), 2, "has dtype bool"),
    Case(
        "data-int64-images",
        "npz images saved as int64 (read as 8-bit, with a note)",
        (*NPZ, "data.path={dir}/int64-images.npz", "--set", "train.epochs=0"),
        0,
        "read as 8-bit images",
    ),
    Case(
        "folder-classes-differ",
        "image folder whose test/ has another class",
        ("run", "circles-mlp", "--set", "data.dataset=imagefolder", "--set", "data.path={dir}/classes-differ"),
        2,
        "only in test/: bird",
    ),
    Case(
        "folder-no-image",
        "image folder with a class holding no image",
        ("run", "circles-mlp", "--set", "data.dataset=imagefolder", "--set", "data.path={dir}/no-image"),
        2,
        "no readable image",
    ),
    Case(
        "folder-float-mode",
        "image folder with a 32-bit float TIFF",
        ("run", "circles-mlp", "--set", "data.dataset=imagefolder", "--set", "data.path={dir}/float-image"),
        2,
        "Pillow mode F (32-bit float)",
    ),
    Case(
        "folder-hidden-class",
        "image folder with .ipynb_checkpoints beside the classes (ignored, with a note)",
        ("run", "circles-mlp", "--set", "data.dataset=imagefolder", "--set", "data.path={dir}/hidden-class", "--set", "train.epochs=0"),
        0,
        "not classes, ignored: train/.ipynb_checkpoints/",
    ),
    Case(
        "data-empty-folder",
        "an empty image folder",
        ("run", "circles-mlp", "--set", "data.dataset=imagefolder", "--set", "data.path={dir}/empty-folder"),
        2,
        "no class folders",
    ),
    Case(
        "data-offline",
        "CIFAR-10 missing, offline",
        ("run", "cifar10-convnet", "--data-root", "{dir}/no-data", "--set", "data.download=false"),
        2,
        "cifar10 not found",
    ),
    # hardware and architecture
    Case(
        "device-cuda",
        "device=cuda without a GPU",
        ("run", "circles-mlp", "--device", "cuda"),
        2,
        "no CUDA GPU is available here",
        needs_no_gpu=True,
    ),
    Case(
        "architecture",
        "a network that collapses the map",
        ("run", "circles-mlp", "--set", "data.dataset=digits", "--set", "model.arch=convnet"),
        2,
        "turns a 4×4 map into 0×0",
    ),
    Case(
        "bf16-float64",
        "bf16 with float64 weights",
        ("run", "circles-mlp", "--set", "train.dtype=float64", "--set", "train.precision=bf16"),
        2,
        "bf16 autocast needs train.dtype=float32",
    ),
    Case(
        "label-smoothing-mse",
        "label smoothing with the MSE loss",
        ("run", "circles-mlp", "--set", "train.loss=mse", "--set", "train.label_smoothing=0.1"),
        2,
        "smoothing applies to the cross_entropy loss",
    ),
    Case(
        "tta-flip-points",
        "test-time flips on 2-D points",
        ("run", "circles-mlp", "--set", "train.tta_flip=true"),
        2,
        "test-time flipping needs images (C, H, W)",
    ),
    # sweeps, records, usage
    Case("grid-no-values", "sweep grid without values", ("sweep", "circles-mlp", "--grid", "optim.lr"), 2, "expected section.key=v1,v2"),
    Case(
        "grid-bad-value",
        "sweep grid with a bad value",
        ("sweep", "circles-mlp", "--grid", "optim.lr=0.1,abc"),
        2,
        "--grid optim.lr: expected a number, got 'abc'",
    ),
    Case(
        "grid-unknown-key",
        "sweep grid over an unknown key",
        ("sweep", "circles-mlp", "--grid", "optim.lrr=0.1"),
        2,
        "did you mean 'optim.lr'?",
    ),
    Case("runs-dir", "runs dir inside a file", ("run", "circles-mlp", "--runs-dir", "{dir}/a-file/runs"), 2, "which is a file"),
    Case("runs-dir-file", "runs dir that is a file", ("run", "circles-mlp", "--runs-dir", "{dir}/a-file"), 2, "is a file, not a folder"),
    Case("runs-list-file", "runs --runs-dir on a file", ("runs", "--runs-dir", "{dir}/a-file"), 2, "is a file, not a folder"),
    Case("runs-where-key", "runs --where on a misspelt key", ("runs", "--where", "optim.nam=adam"), 2, "did you mean 'optim.name'?"),
    Case("runs-where-percent", "runs --where with a percent without %", ("runs", "--where", "test_acc>70"), 2, "write test_acc>0.7 or"),
    Case("runs-where-text", "runs --where comparing text with >", ("runs", "--where", "optim.name>adam"), 2, "optim.name is text"),
    Case("runs-where-date", "runs --where on a date no calendar has", ("runs", "--where", "started>=2026-13-45"), 2, "is not a real date"),
    Case("runs-sort-key", "runs --sort on an unknown column", ("runs", "--sort", "accuracy"), 2, "--sort: unknown key 'accuracy'"),
    Case("resume-no-run", "resume a folder that is not a run", ("resume", "{dir}"), 2, "is not a run folder"),
    Case("unknown-command", "unknown command", ("frobnicate",), 2, "invalid choice: 'frobnicate'"),
    Case(
        "option-before-command",
        "a console option before a command that lacks it",
        ("--start", "run", "circles-mlp"),
        2,
        "--start is an option of the console, not of 'run'",
    ),
    Case(
        "option-twice",
        "an option before and after the command, with two values",
        ("--runs-dir", "{dir}/a", "run", "circles-mlp", "--runs-dir", "{dir}/b"),
        2,
        "--runs-dir is given twice",
    ),
    Case(
        "gradcheck-tolerance",
        "gradcheck with a negative tolerance",
        ("gradcheck", "circles-mlp", "--tolerance", "-1"),
        2,
        "must be a number, 0 or more",
    ),
    Case(
        "sweep-dir-file",
        "sweep --sweep-dir that is a file",
        ("sweep", "circles-mlp", "--grid", "optim.lr=0.1,0.2", "--sweep-dir", "{dir}/a-file"),
        2,
        "is a file, not a folder; choose a folder with --sweep-dir",
    ),
    Case(
        "list-empty-item",
        "a list with an empty item",
        ("run", "circles-mlp", "--set", "model.hidden=4,,4"),
        2,
        "expected a list of integers",
    ),
    Case("run-a-sweep", "a shipped sweep given to run", ("run", "cifar10-lr-batch"), 2, "is a sweep, not a preset"),
    Case("npz-is-a-folder", "data.path is a folder for npz", (*NPZ, "data.path={dir}/empty-folder"), 2, "is a folder, not an .npz file"),
    Case("preset-utf16", "a preset saved as UTF-16", ("run", "{dir}/utf16.toml"), 2, "saved as UTF-16; save it as UTF-8"),
    Case("base-cycle", "two presets based on each other", ("run", "{dir}/base-cycle-a.toml"), 2, "is a cycle of bases"),
    Case("base-empty", "an empty base", ("run", "{dir}/base-empty.toml"), 2, "base: empty; name the preset this one changes"),
    Case("base-typo", "a misspelt base", ("run", "{dir}/base-typo.toml"), 2, "did you mean 'circles-mlp'?"),
    Case("preset-latin1", "a preset saved as latin-1", ("run", "{dir}/latin1.toml"), 2, "not UTF-8 text (byte 0xe9 at line 1, column 12)"),
    Case(
        "batch-norm-batch-1",
        "batch-norm with batches of one example",
        ("run", "cifar10-batchnorm", "--set", "train.batch_size=1"),
        2,
        "batch-norm (model.batch_norm) needs at least 2 examples per batch",
    ),
    Case(
        "layers-input",
        "layers --input that is not CxHxW",
        ("layers", "cifar10-convnet", "--input", "3x0x7"),
        2,
        "give C x H x W such as 3x64x64",
    ),
    # runs in their own processes: attach, control, serve, --detach
    Case("attach-none", "attach with no runs yet", ("attach", "--runs-dir", "{dir}/no-runs"), 2, "no runs in"),
    Case("attach-not-a-run", "attach to a folder that is not a run", ("attach", "{dir}"), 2, "is not a run folder (no summary.json)"),
    Case("control-no-lr", "control lr without a value", ("control", "latest", "lr"), 2, "give the new learning rate after 'lr'"),
    Case("control-bad-lr", "control lr 0", ("control", "latest", "lr", "0"), 2, "the learning rate must be a number above 0, got 0"),
    Case("control-value", "control pause with a value", ("control", "latest", "pause", "3"), 2, "'pause' takes no value"),
    Case("control-action", "control with an unknown action", ("control", "latest", "restart"), 2, "invalid choice: 'restart'"),
    Case("serve-port", "serve on a port out of range", ("serve", "--port", "70000"), 2, "must be a port number from 1 to 65535"),
    Case("detach-bad-preset", "run --detach, unknown preset", ("run", "--detach", "circles-mpl"), 2, "no preset named 'circles-mpl'"),
    # early stopping and notifications
    Case("early-stop-no-val", "early stopping without a validation split",
         ("run", "circles-mlp", "--set", "train.early_stop_patience=5", "--set", "data.val_split=0"), 2, "set data.val_split=0.1"),
    Case("early-stop-metric", "early stopping on another metric", ("run", "circles-mlp", "--set", "train.early_stop_metric=test_acc"), 2,
         "allowed: val_loss, val_acc"),
    Case("notify-url", "a web hook URL that is not one", ("run", "circles-mlp", "--notify", "hook.example.org"), 2,
         "give a web hook URL such as https://example.org/hook"),
    Case("notify-ipv6", "a web hook URL with an unclosed IPv6 bracket", ("run", "circles-mlp", "--notify", "http://[::1"), 2,
         "give a web hook URL such as https://example.org/hook"),
    Case("notify-port", "a web hook URL with a port out of range", ("run", "circles-mlp", "--notify", "http://example.org:99999/"), 2,
         "give a web hook URL such as https://example.org/hook"),
    Case("notify-scheme", "a notification URL apprise does not know", ("run", "circles-mlp", "--notify", "ftp://example.org/x"), 2,
         "apprise does not know 'ftp://example.org/x'"),
    # the lr range test and runs in words
    Case("lr-find-range", "lr-find, start lr not below end lr", ("lr-find", "circles-mlp", "--start-lr", "1", "--end-lr", "0.1"), 2,
         "is not below --end-lr 0.1"),
    Case("lr-find-steps", "lr-find with too few steps", ("lr-find", "circles-mlp", "--steps", "5"), 2, "needs at least 10 steps"),
    Case("lr-find-zero", "lr-find from lr 0", ("lr-find", "circles-mlp", "--start-lr", "0"), 2, "give a learning rate above 0"),
    Case("summary-not-a-run", "summary of a folder that is not a run", ("summary", "{dir}"), 2, "is not a run folder (no summary.json)"),
    # the memory estimate
    Case("memory-not-an-npz", "memory estimate of data that is not an .npz",
         ("memory", "circles-mlp", "--set", "data.dataset=npz", "--set", "data.path={dir}/not-an-npz.npz"), 2, "not a readable .npz file"),
)


def render(folder: Path) -> str:
    lines = [
        "# Errors: every bad input, its message and its exit code",
        "",
        "Generated by `python tests/error_cases.py` from the cases that `tests/test_error_matrix.py` runs;",
        "the test fails when a message here differs from what the command prints. `DIR` stands for the",
        "folder holding the broken files. Exit codes: 0 completed or early-stopped, 1 failed, 2 usage or input error,",
        "3 diverged, 130 stopped by SIGINT, 143 stopped by SIGTERM or SIGHUP.",
        "",
        "Where a case names a form field, the console shows the same message under that field and",
        "refuses to start.",
        "",
        "| case | mistake | command | exit | message | form field |",
        "|---|---|---|---|---|---|",
    ]
    for case in CASES:
        command = "rdfia-tui " + " ".join(case.argv).replace("{dir}", PLACEHOLDER)
        message = message_of(case, folder).replace("|", "\\|")
        field = f"`{case.field[0]}` = `{case.field[1]}`" if case.field else ""
        lines.append(f"| `{case.id}` | {case.what} | `{command}` | {case.code} | {message} | {field} |")
    return "\n".join(lines) + "\n"


def documented_messages(text: str) -> dict[str, str]:
    """case id -> message, read back from docs/errors.md."""
    out = {}
    for line in text.splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            out[cells[0].strip("`")] = cells[4].replace("\\|", "|")
    return out


if __name__ == "__main__":
    import tempfile

    sys.path.insert(0, str(REPO))
    with tempfile.TemporaryDirectory() as tmp:
        DOC.write_text(render(make_bad_files(Path(tmp))), encoding="utf-8")
    print(f"wrote {DOC} ({len(CASES)} cases)")
