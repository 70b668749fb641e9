"""A new user's first hour: the README's commands, options in any place, start-up that pays only for
what the run uses, threads that suit the work, and commands that say what they mean."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from rdfia_tui.cli.main import main
from rdfia_tui.engine.config import OptimConfig
from rdfia_tui.engine.eager import bare_step
from rdfia_tui.engine.optimisers import build_optimiser

REPO = Path(__file__).resolve().parents[1]


def readme_commands() -> dict[str, str]:
    """The set-up block of the README: comment -> command (``pytest  # test`` gives {"test": "pytest"})."""
    block = (REPO / "README.md").read_text(encoding="utf-8").split("## Set up", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    return {line.split("#", 1)[1].strip(): line.split("#", 1)[0].strip() for line in block.splitlines() if "#" in line}


def test_ci_runs_the_readme_commands_exactly() -> None:
    """CI hid a 'pytest' that failed while 'python -m pytest' passed: it must type what the README says."""
    commands = readme_commands()
    assert commands["test"] == "pytest" and commands["install"] == 'pip install -e ".[dev]"'
    ci = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert ci[-1] == commands["test"]
    assert any(line.startswith("pip install") and '-e ".[dev]"' in line for line in ci)
    assert "python3 -m venv .venv" in ci and commands["a virtual environment for the project"] == "python3 -m venv .venv"


def test_plain_pytest_collects_every_test_module() -> None:
    beside = Path(sys.executable).parent / "pytest"  # the environment's own script, as an activated venv finds it
    cmd = [str(beside) if beside.exists() else "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "error" not in proc.stdout.lower().split("tests collected")[-1]
    collected = {line.split("::")[0] for line in proc.stdout.splitlines() if "::" in line}
    assert collected == {f"tests/{p.name}" for p in (REPO / "tests").glob("test_*.py")}


# --- options before the command --------------------------------------------------------------------


def test_options_before_the_command_apply_to_it(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    runs = tmp_path / "elsewhere"
    assert main(["--set", "optim.lr=0.05", "--runs-dir", str(runs), "run", "circles-mlp", "--set", "train.epochs=1"]) == 0
    (run,) = runs.iterdir()
    summary = json.loads((run / "summary.json").read_text())
    assert summary["config"]["optim"]["lr"] == 0.05 and summary["config"]["train"]["epochs"] == 1


def test_a_later_set_wins_over_an_earlier_one(runs_dir: Path) -> None:
    assert main(["--set", "optim.lr=0.05", "run", "circles-mlp", "--set", "optim.lr=0.2", "--set", "train.epochs=0"]) == 0
    (run,) = runs_dir.iterdir()
    assert json.loads((run / "summary.json").read_text())["config"]["optim"]["lr"] == 0.2


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--start", "run", "circles-mlp"], "--start is an option of the console, not of 'run'"),
        (["--preset", "circles-mlp", "run", "moons-mlp"], "give the preset after the command: rdfia-tui run PRESET"),
        (["--set", "optim.lr=0.1", "presets"], "--set is an option of the console, not of 'presets'"),
        (["--runs-dir", "a", "runs", "--runs-dir", "b"], "--runs-dir is given twice, before and after 'runs'"),
    ],
)
def test_options_a_command_cannot_take_are_refused(argv: list[str], words: str, capsys: pytest.CaptureFixture) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err


def test_the_same_runs_dir_before_and_after_is_fine(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["--runs-dir", str(tmp_path), "runs", "--runs-dir", str(tmp_path)]) == 0


# --- start-up pays only for what the run uses ---------------------------------------------------------

LOADED = """
import sys, json
from rdfia_tui.cli.main import main
code = main(sys.argv[1:])
heavy = ("torchvision", "torch._dynamo", "torch._inductor", "sympy", "sklearn", "textual", "plotext")
print(json.dumps({"code": code, "loaded": sorted({m.split(".")[0] if not m.startswith("torch.") else ".".join(m.split(".")[:2])
                                                  for m in sys.modules if m.startswith(heavy)})}))
"""


@pytest.mark.parametrize("preset", ["circles-mlp", "moons-mlp", "circles-manual"])
def test_a_circles_run_loads_neither_torchvision_nor_dynamo(tmp_path: Path, preset: str) -> None:
    args = ["run", preset, "--set", "train.epochs=2", "--set", "train.checkpoint=epoch", "--runs-dir", str(tmp_path)]
    proc = subprocess.run([sys.executable, "-c", LOADED, *args], capture_output=True, text=True, timeout=120)
    result = json.loads(proc.stdout.splitlines()[-1])
    assert result == {"code": 0, "loaded": []}


def test_a_compiled_run_still_gets_torch_s_dynamo_guards(runs_dir: Path) -> None:
    """After an eager run skipped the import, a compiling run restores torch's own wrappers."""
    from rdfia_tui.engine.eager import _wrapped_methods, restore_dynamo_guards, skip_dynamo_import

    skip_dynamo_import()
    restore_dynamo_guards()
    assert all(getattr(fn, "__dynamo_disable", None) is not fn for fn in _wrapped_methods())
    assert len(list(_wrapped_methods())) >= 4  # add_param_group, zero_grad, state_dict, load_state_dict


@pytest.mark.parametrize(
    "cfg",
    [
        OptimConfig(name="sgd", lr=0.1),
        OptimConfig(name="sgd", lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
        OptimConfig(name="adam", lr=0.01),
        OptimConfig(name="adagrad", lr=0.1),
        OptimConfig(name="adadelta", lr=1.0),
        OptimConfig(name="rmsprop", lr=0.01, momentum=0.5),
    ],
    ids=lambda c: c.name + ("-momentum" if c.momentum else ""),
)
def test_the_bare_step_is_torch_s_update_bit_for_bit(cfg: OptimConfig) -> None:
    torch.manual_seed(0)
    nets = [torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 3)) for _ in range(2)]
    nets[1].load_state_dict(nets[0].state_dict())
    optimisers = [build_optimiser(net.parameters(), cfg) for net in nets]
    steps = [optimisers[0].step, bare_step(optimisers[1])]
    assert steps[1] is not optimisers[1].step  # recognised, so the bare update is what is compared
    x, y = torch.randn(16, 5), torch.randint(0, 3, (16,))
    for _ in range(5):
        for net, optimiser, step in zip(nets, optimisers, steps, strict=True):
            optimiser.zero_grad()
            torch.nn.functional.cross_entropy(net(x), y).backward()
            step()
    for a, b in zip(nets[0].parameters(), nets[1].parameters(), strict=True):
        assert torch.equal(a, b)
    assert torch.is_grad_enabled()


# --- threads -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("preset", "expected"), [("circles-mlp", 1), ("digits-mlp", 1)])
def test_small_steps_train_on_one_thread(runs_dir: Path, preset: str, expected: int) -> None:
    assert main(["run", preset, "--set", "train.epochs=0"]) == 0
    (run,) = runs_dir.iterdir()
    summary = json.loads((run / "summary.json").read_text())
    assert summary["speed"]["threads"] == expected


def test_an_explicit_thread_count_is_kept(runs_dir: Path) -> None:
    assert main(["run", "circles-mlp", "--set", "train.epochs=0", "--set", "train.threads=2"]) == 0
    (run,) = runs_dir.iterdir()
    assert json.loads((run / "summary.json").read_text())["speed"]["threads"] == 2


# --- other commands ------------------------------------------------------------------------------------


def test_layers_prints_no_partial_total_before_the_error(capsys: pytest.CaptureFixture) -> None:
    assert main(["layers", "cifar10-convnet", "--input", "3x28x28"]) == 2
    captured = capsys.readouterr()
    assert "total parameters" not in captured.out and "conv3" in captured.out
    assert "turns a 1×1 map into 0×0" in captured.err


def test_presets_wrap_to_the_terminal_and_list_the_sweeps(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 60
    assert "sweeps (rdfia-tui sweep NAME):" in out
    for name in ("cifar10-lr-batch", "cifar10-optimisers", "cifar10-schedules"):
        assert re.search(rf"^{name}\s+\S", out, re.M)


def test_runs_on_a_file_says_it_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "runs").write_text("")
    assert main(["run", "circles-mlp", "--runs-dir", str(tmp_path / "runs")]) == 2
    assert f"runs dir {tmp_path / 'runs'} is a file, not a folder" in capsys.readouterr().err


def test_help_shows_the_console_options_as_options_of_every_command() -> None:
    env = {**os.environ, "COLUMNS": "100"}
    out = subprocess.run([sys.executable, "-m", "rdfia_tui", "--help"], capture_output=True, text=True, env=env, timeout=60).stdout
    assert "Options before a command apply to it when it has them." in " ".join(out.split())
    assert "TOP_" not in out


# --- what a new user hit on the first try of this change --------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["--device", "cpu", "run", "circles-mlp", "--set", "train.epochs=0"],
        ["--grid", "optim.lr=0.1,0.2", "sweep", "circles-mlp", "--set", "train.epochs=0"],
        ["--tolerance=1e-3", "gradcheck", "circles-mlp"],
    ],
)
def test_a_command_s_own_options_may_come_first(argv: list[str], runs_dir: Path) -> None:
    assert main(argv) == 0


def test_a_command_s_option_without_a_command_names_the_commands(capsys: pytest.CaptureFixture) -> None:
    assert main(["--device", "cpu"]) == 2
    assert "--device is an option of 'run', 'sweep', 'lr-find', 'memory'; give the command first" in capsys.readouterr().err


SLOW_LOADER = """
import sys, time
from pathlib import Path
from rdfia_tui.engine.catalog import DATASETS

def slow(cfg, root):
    Path(sys.argv[1]).write_text("loading")
    while True:  # a large image folder being decoded
        time.sleep(0.01)

DATASETS._entries["circles"] = slow
from rdfia_tui.cli.main import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.parametrize(("signum", "code"), [(2, 130), (15, 143)])
def test_a_signal_while_the_data_loads_quits_at_once(tmp_path: Path, signum: int, code: int) -> None:
    ready, runs = tmp_path / "loading", tmp_path / "runs"
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_LOADER, str(ready), "run", "circles-mlp", "--runs-dir", str(runs)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not ready.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == code
    assert err == "rdfia-tui: interrupted before training began; nothing was recorded\n"
    assert not runs.exists() or not any(runs.iterdir())


def test_ctrl_c_before_a_command_starts_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    from rdfia_tui.cli import commands

    def interrupted(args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setitem(commands.HANDLERS, "presets", interrupted)
    assert main(["presets"]) == 130
    assert capsys.readouterr().err == "rdfia-tui: interrupted\n"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("command", [["presets"], ["layers", "cifar10-convnet"], ["schedule", "cifar10-momentum"]])
def test_output_to_a_full_disk_is_one_line(command: list[str]) -> None:
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "rdfia_tui", *command], stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr == "rdfia-tui: error: could not write the output (No space left on device)\n"


def test_a_run_whose_process_died_is_listed_as_lost(runs_dir: Path) -> None:
    from dataclasses import replace

    from rdfia_tui.engine.runs.listing import list_runs
    from rdfia_tui.engine.runs.liveness import read_live

    assert main(["run", "circles-mlp", "--set", "train.epochs=0"]) == 0
    (run,) = runs_dir.iterdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    summary = json.loads((run / "summary.json").read_text())
    live = read_live(run)
    assert live.pid == os.getpid()  # main() ran in this process
    replace(live, pid=dead.pid).write(run)  # its live.json names a process that has ended
    (run / "summary.json").write_text(json.dumps({**summary, "status": "running"}))
    (entry,) = list_runs(runs_dir)
    assert entry["status"] == "lost" and f"pid {dead.pid}" in entry["message"] and "after epoch 0" in entry["message"]
    (run / "live.json").unlink()  # a run recorded before live.json: its summary's pid tells
    (run / "summary.json").write_text(json.dumps({**summary, "status": "running", "pid": dead.pid}))
    (entry,) = list_runs(runs_dir)
    assert entry["status"] == "lost" and f"pid {dead.pid}" in entry["message"]
    (run / "summary.json").write_text(json.dumps({**summary, "status": "running", "pid": os.getpid()}))
    assert list_runs(runs_dir)[0]["status"] == "running"  # alive: still running
    (run / "summary.json").write_text(json.dumps({**summary, "status": "running", "pid": dead.pid, "host": "elsewhere"}))
    assert list_runs(runs_dir)[0]["status"] == "running"  # another machine's run cannot be checked


def test_more_threads_than_cores_are_noted(runs_dir: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["run", "circles-mlp", "--set", "train.epochs=0", "--set", f"train.threads={(os.cpu_count() or 1) + 3}"]) == 0
    assert "cores: the threads will share them" in capsys.readouterr().out
