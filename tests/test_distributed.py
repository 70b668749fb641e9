"""One run on several processes: torchrun with gloo on the CPU gives the metrics of a one-process run, two
launchers act as two nodes, a DDP run resumes, takes commands on every rank, and refuses what it cannot do.

Every run here is a real torchrun of real processes (2 ranks, gloo). float64 runs make the comparison with one
process tight: the ranks' gradients are averaged over the very examples of the one-process step.
"""

from __future__ import annotations

import csv
import math
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from rdfia_tui.engine.config import apply_overrides
from rdfia_tui.engine.control import Command
from rdfia_tui.engine.distributed import World, rank_device
from rdfia_tui.engine.errors import DeviceError
from rdfia_tui.engine.events import CommandTaken
from rdfia_tui.engine.live.ask import ask
from rdfia_tui.engine.live.launch import launch, module_command
from rdfia_tui.engine.live.stream import read_events
from rdfia_tui.engine.presets import load_preset
from rdfia_tui.engine.training import fit
from tests.helpers import assert_clean_error, isolated_env, rdfia, run_folder_from, summary_of

pytestmark = pytest.mark.skipif(
    not (torch.distributed.is_available() and torch.distributed.is_gloo_available()), reason="torch.distributed with gloo is not built in"
)

TORCHRUN = ("-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", "-m", "rdfia_tui")
EXACT = ("train.dtype=float64", "train.precision=fp32", "train.device=cpu")
CONVNET = ("data.dataset=digits", "model.arch=convnet", "model.conv_channels=[4]", "model.conv_kernels=[3]", "model.conv_paddings=[1]",
           "model.hidden=[16]", "data.augment=[]", "model.batch_norm=false", "model.dropout=0.0")  # fmt: skip
TIMED = ("seconds", "images_per_s")  # wall time: never equal


def sets(*overrides: str) -> list[str]:
    return [part for item in overrides for part in ("--set", item)]


def metrics(folder: Path) -> list[dict[str, float]]:
    with open(folder / "metrics.csv", newline="") as fh:
        return [{k: float(v) for k, v in row.items() if k not in TIMED} for row in csv.DictReader(fh)]


def assert_same_metrics(got: list[dict[str, float]], want: list[dict[str, float]], rel: float = 1e-9) -> None:
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        for key in b:
            assert math.isclose(a[key], b[key], rel_tol=rel, abs_tol=1e-12), (key, a["epoch"], a[key], b[key])


def one_process(tmp_path: Path, preset: str, *overrides: str) -> Path:
    cfg = apply_overrides(load_preset(preset), list(overrides))
    return fit(cfg, runs_dir=tmp_path / "one").run_dir


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    ("preset", "overrides"),
    [("circles-mlp", ("train.epochs=3", "train.batch_size=25")), ("digits-mlp", (*CONVNET, "train.epochs=2", "train.batch_size=30"))],
    ids=["mlp", "convnet"],
)
def test_two_gloo_ranks_give_the_metrics_of_one_process(tmp_path: Path, preset: str, overrides: tuple[str, ...]) -> None:
    """batch 25 does not divide by 2: the shares are 13 and 12, and the weighted losses still average to the batch's mean."""
    result = rdfia("run", preset, "--runs-dir", str(tmp_path / "ddp"), *sets(*EXACT, *overrides), cwd=tmp_path, prefix=TORCHRUN)
    assert result.returncode == 0, result.stderr[-2000:]
    ddp = run_folder_from(result)
    assert_same_metrics(metrics(ddp), metrics(one_process(tmp_path, preset, *EXACT, *overrides)))
    summary = summary_of(ddp)
    assert summary["world"] == {"world_size": 2, "backend": "gloo"}
    assert len(list((tmp_path / "ddp").iterdir())) == 1  # rank 0 alone made a folder


def finished(nodes: list[subprocess.Popen], timeout: float) -> list[tuple[str, str]]:
    """Each launcher's (stdout, stderr) once all have exited; past ``timeout`` all are killed and the test fails with
    every launcher's last output (a launcher whose peer failed waits for it: its own output alone says nothing)."""
    try:
        return [node.communicate(timeout=timeout) for node in nodes]
    except subprocess.TimeoutExpired:
        for node in nodes:
            node.kill()
        tails = [f"launcher {i} (exit {node.wait()}): {(node.communicate()[1] or '')[-1500:]}" for i, node in enumerate(nodes)]
        pytest.fail("the launchers did not finish in time:\n" + "\n".join(tails))


def test_two_launchers_on_one_machine_act_as_two_nodes(tmp_path: Path) -> None:
    port = free_port()
    run = ["-m", "rdfia_tui", "run", "circles-mlp", "--runs-dir", "runs", *sets("train.epochs=2", "train.device=cpu")]
    nodes = []
    for rank in (0, 1):
        node = ["--nnodes=2", f"--node-rank={rank}", "--nproc-per-node=1", "--master-addr=127.0.0.1", f"--master-port={port}"]
        command = [sys.executable, "-m", "torch.distributed.run", *node, *run]
        pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
        nodes.append(subprocess.Popen(command, cwd=tmp_path, env=isolated_env(tmp_path), **pipes))
    outputs = finished(nodes, timeout=120)
    assert [node.returncode for node in nodes] == [0, 0], [err[-1500:] for _, err in outputs]
    (folder,) = (tmp_path / "runs").iterdir()
    summary = summary_of(folder)
    assert summary["status"] == "completed" and summary["world"]["world_size"] == 2
    assert outputs[1][0].strip() == ""  # rank 1 prints nothing: rank 0 speaks for the run


def test_nproc_starts_torchrun_and_a_ddp_run_resumes_exactly(tmp_path: Path) -> None:
    """train.nproc=2 starts torchrun itself; stopped after 2 epochs and resumed to 4, the run equals one process's 4 epochs."""
    overrides = (*EXACT, "train.batch_size=40", "train.checkpoint=epoch")
    runs = str(tmp_path / "runs")
    first = rdfia("run", "circles-mlp", "--runs-dir", runs, *sets(*overrides, "train.epochs=2", "train.nproc=2"), cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    folder = run_folder_from(first)
    refused = rdfia("resume", str(folder), *sets("train.epochs=4", "train.nproc=1"), cwd=tmp_path)
    assert_clean_error(refused, "2 process(es)", "--set train.nproc=2")
    refused = rdfia("resume", str(folder), *sets("train.epochs=4", "train.nproc=3"), cwd=tmp_path)  # before torchrun starts 3
    assert_clean_error(refused, "2 process(es) and this is 3", "--set train.nproc=2")
    resumed = rdfia("resume", str(folder), *sets("train.epochs=4"), cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert_same_metrics(metrics(folder), metrics(one_process(tmp_path, "circles-mlp", *overrides, "train.epochs=4")))
    assert summary_of(folder)["resumed"][0]["after_epoch"] == 2


def test_commands_reach_every_rank(tmp_path: Path) -> None:
    """set-lr, pause and stop sent to rank 0 are taken by both ranks at one step: the run stops and torchrun exits."""
    runs = tmp_path / "runs"
    args = ["run", "circles-mlp", "--runs-dir", str(runs), *sets("train.epochs=500", "train.nproc=2", "train.device=cpu")]
    launched = launch(module_command(*args), runs)
    try:
        assert ask(launched.run_dir, Command("set_lr", 0.05), timeout=30).lr == 0.05
        assert ask(launched.run_dir, Command("pause"), timeout=30).paused
        assert not ask(launched.run_dir, Command("resume"), timeout=30).paused
        ask(launched.run_dir, Command("stop"), timeout=30)
        assert launched.process.wait(timeout=60) == 130  # a stopped run's status; a rank that missed the stop would hang
    finally:
        if launched.process.poll() is None:
            launched.process.kill()
    summary = summary_of(launched.run_dir)
    assert summary["status"] == "stopped"
    assert summary["lr_changes"][0]["lr"] == 0.05
    taken = [e for e in read_events(launched.run_dir / "events.jsonl") if isinstance(e, CommandTaken)]
    assert [e.action for e in taken] == ["set_lr", "pause", "resume", "stop"]
    rows = metrics(launched.run_dir)
    assert all(row["lr"] == 0.05 for row in rows[2:])  # every epoch after the change trained at the new rate


@pytest.mark.parametrize(
    ("overrides", "fragments"),
    [
        (("model.impl=manual",), ("train.nproc", "'manual'", "model.impl=module")),
        (("train.backend=nccl", "train.device=cpu"), ("nccl needs CUDA", "train.backend=gloo")),
    ],
    ids=["hand-written-step", "nccl-on-cpu"],
)
def test_what_a_distributed_run_cannot_do_is_one_line(tmp_path: Path, overrides: tuple[str, ...], fragments: tuple[str, ...]) -> None:
    result = rdfia("run", "circles-mlp", "--runs-dir", "runs", *sets("train.nproc=2", *overrides), cwd=tmp_path, timeout=120)
    assert_clean_error(result, *fragments)


def test_a_batch_smaller_than_the_world_is_refused_by_the_ranks(tmp_path: Path) -> None:
    """Refused before torchrun starts (the ranks check it too, against the world they joined, for a torchrun started by hand)."""
    result = rdfia("run", "circles-mlp", "--runs-dir", "runs", *sets("train.nproc=2", "train.batch_size=1"), cwd=tmp_path, timeout=120)
    assert result.returncode != 0 and "train.batch_size: got 1" in result.stderr and "2 processes" in result.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_a_hand_written_step_under_torchrun_is_refused_by_each_rank(tmp_path: Path) -> None:
    result = rdfia("run", "circles-manual", "--runs-dir", "runs", cwd=tmp_path, prefix=TORCHRUN, timeout=120)
    assert result.returncode != 0
    assert "rdfia-tui: error: model.impl: 'manual' is not supported on several processes" in result.stderr


def test_a_rendezvous_nobody_answers_times_out_in_one_line(tmp_path: Path) -> None:
    began = time.monotonic()
    result = rdfia("run", "circles-mlp", "--runs-dir", "runs", cwd=tmp_path, timeout=60, RANK="1", WORLD_SIZE="2", LOCAL_RANK="0",
                   MASTER_ADDR="127.0.0.1", MASTER_PORT=str(free_port()), RDFIA_TUI_DIST_TIMEOUT="1")  # fmt: skip
    assert_clean_error(result, "rank 1 of 2", "within 1 s", "RDFIA_TUI_DIST_TIMEOUT")
    assert time.monotonic() - began < 45


def test_more_processes_than_gpus_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    with pytest.raises(DeviceError, match=r"train.nproc: 4 processes on this machine, but it has 2 CUDA GPU\(s\); use --set train.nproc=2"):
        rank_device(torch.device("cuda"), 0, 4)
    assert rank_device(torch.device("cuda"), 1, 2) == torch.device("cuda", 1)
    assert rank_device(torch.device("cpu"), 1, 8) == torch.device("cpu")


def test_shares_of_a_batch_cover_it_once() -> None:
    idx = torch.randperm(25)
    shares = [World(rank, 3).share(idx) for rank in range(3)]
    assert [len(s) for s in shares] == [9, 8, 8]
    assert torch.equal(torch.cat(shares), idx)


def test_a_signal_to_the_command_stops_every_rank_after_the_step(tmp_path: Path) -> None:
    """SIGINT to 'rdfia-tui run --set train.nproc=2' (what Ctrl-C sends it) reaches the ranks, not torchrun: the run stops
    at a step the ranks agree on, its records say so, and nothing prints a traceback."""
    runs = tmp_path / "runs"
    command = [sys.executable, "-m", "rdfia_tui", "run", "circles-mlp", "--runs-dir", str(runs), *sets("train.epochs=500", "train.nproc=2")]
    process = subprocess.Popen(command, cwd=tmp_path, env=isolated_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not list(runs.glob("*/metrics.csv")) or len(metrics(next(runs.glob("*/metrics.csv")).parent)) < 3:
            assert time.monotonic() < deadline and process.poll() is None, "the run did not record 2 epochs"
            time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err[-2000:]
    assert "Traceback" not in err and "ChildFailedError" not in err
    summary = summary_of(next(runs.glob("*/metrics.csv")).parent)
    assert summary["status"] == "stopped" and 2 <= summary["epochs_completed"] < 500
