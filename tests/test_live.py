"""A run as its own process, engine side: the event stream, the command folder and liveness, without torch."""

from __future__ import annotations

import json
import math
import os
import shutil
import socket
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from rdfia_tui.engine.control import Command, CommandError, RunControl
from rdfia_tui.engine.errors import RecordError
from rdfia_tui.engine.events import (
    BatchProgress,
    BoundaryUpdated,
    CommandTaken,
    EpochEnded,
    EpochMetrics,
    EvaluationProgress,
    LrProbe,
    Notice,
    PlanePoints,
    RunFinished,
    RunStarted,
    SamplePredictions,
)
from rdfia_tui.engine.live import commands
from rdfia_tui.engine.live.follow import Followed, follow, latest_segment
from rdfia_tui.engine.live.publish import published
from rdfia_tui.engine.live.stream import EventReader, decode, encode, read_events
from rdfia_tui.engine.runs.liveness import LiveState, is_alive, process_start, read_live

METRICS = EpochMetrics(3, 0.5, 0.8, math.nan, 0.7, math.inf, -math.inf, 0.01, 1.5, 2000.0)
EVERY_EVENT = [
    RunStarted(Path("/runs/a b"), "p", {"optim": {"lr": 0.1}}, "cpu", 22, [{"name": "fc1"}], 8, 2, 5, 3, 4, ("x", "y"), "fp32"),
    BatchProgress(1, 2, 4, 0.25, 100.0, 3.5, (0.3, math.nan, 0.2)),
    EvaluationProgress(1, "val", 10, 20, 0.5),
    EpochEnded(METRICS, 3, ((1, 2), (3, 4))),
    SamplePredictions(1, ((((1, 2), (3, 4)),),), (0,), (1,), ("x", "y")),
    PlanePoints(((0.5, -0.5),), (1,), (-1.0, 1.0), (-2.0, 2.0)),
    BoundaryUpdated(2, ((0, 1), (1, 1)), (-1.0, 1.0), (-2.0, 2.0)),
    Notice("ünïcode ✓"),
    CommandTaken("set_lr", False, 0.05, "pid 7"),
    LrProbe(3, 200, 1e-3, math.inf, 2.5),
    RunFinished(Path("/runs/a b"), "completed", "", {"epochs_completed": 3, "best_test_acc": None}),
]


def same(a, b) -> bool:
    """Equal, with NaN equal to NaN (dataclass equality says nan != nan)."""
    return json.dumps(encode(a, 0)) == json.dumps(encode(b, 0)) and type(a) is type(b)


@pytest.mark.parametrize("event", EVERY_EVENT, ids=lambda e: type(e).__name__)
def test_each_event_reads_back_equal_to_what_was_written(event) -> None:
    line = encode(event)
    assert line.endswith("\n") and line.count("\n") == 1
    back = decode(line)
    assert type(back) is type(event) and same(back, event)
    if not any(isinstance(v, float) and math.isnan(v) for v in _floats(event)):
        assert back == event


def _floats(event):
    for value in vars(event).values():
        if isinstance(value, float):
            yield value
        elif isinstance(value, EpochMetrics):
            yield from vars(value).values()
        elif isinstance(value, tuple):
            yield from (v for v in value if isinstance(v, float))


def test_non_finite_floats_are_strict_json_and_come_back() -> None:
    line = encode(EpochEnded(METRICS, 3))
    json.loads(line, parse_constant=lambda name: pytest.fail(f"{name} is not strict JSON"))
    m = decode(line).metrics
    assert math.isnan(m.val_loss) and m.test_loss == math.inf and m.test_acc == -math.inf


def test_unknown_fields_are_ignored_and_unknown_types_counted(tmp_path: Path) -> None:
    line = json.loads(encode(Notice("hi")))
    line["added_in_schema_1_5"] = [1, 2]
    future = {"schema": 1, "type": "GpuSampled", "time": 0, "watts": 300}
    path = tmp_path / "events.jsonl"
    path.write_text(json.dumps(line) + "\n" + json.dumps(future) + "\n")
    reader = EventReader(path)
    assert reader.read() == [Notice("hi")]
    assert reader.unknown == 1


def test_a_partial_last_line_waits_for_the_rest_and_a_damaged_line_is_said(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    whole, cut = encode(Notice("one")), encode(Notice("two"))
    path.write_text(whole + "{not json\n" + cut[:10])  # a writer killed mid-line leaves this
    reader = EventReader(path)
    first = reader.read()
    assert first[0] == Notice("one")
    assert isinstance(first[1], Notice) and "line 2 cannot be read" in first[1].message
    assert len(first) == 2  # the partial line is not an event yet
    with open(path, "a") as fh:
        fh.write(cut[10:])
    assert reader.read() == [Notice("two")]


def test_the_latest_segment_starts_at_the_last_run_started() -> None:
    started = EVERY_EVENT[0]
    events = [started, Notice("old"), started, Notice("resumed")]
    assert latest_segment(events) == [started, Notice("resumed")]


def test_commands_are_checked() -> None:
    with pytest.raises(CommandError, match="unknown command"):
        Command("explode")
    for bad in (None, 0.0, -1.0, math.nan, math.inf, "0.1"):
        with pytest.raises(CommandError, match="above 0"):
            Command("set_lr", bad)


def test_a_published_run_takes_commands_from_another_process_and_says_so(tmp_path: Path) -> None:
    seen, control = [], RunControl()
    with published(tmp_path, seen.append, control) as emit:
        emit(Notice("started"))
        assert oct(os.stat(tmp_path / "commands").st_mode & 0o777) == "0o700"
        script = "import sys; from pathlib import Path; from rdfia_tui.engine.live.commands import send; " \
                 "from rdfia_tui.engine.control import Command; send(Path(sys.argv[1]), Command('pause')); " \
                 "send(Path(sys.argv[1]), Command('set_lr', 0.02))"  # fmt: skip
        subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=True)
        assert control.pause.wait(10) and _until(lambda: sum(isinstance(e, CommandTaken) for e in seen) == 2)
    taken = [e for e in seen if isinstance(e, CommandTaken)]
    assert [(t.action, t.paused, t.lr) for t in taken] == [("pause", True, None), ("set_lr", True, 0.02)]
    assert taken[0].sender.startswith("pid ") and taken[0].sender != f"pid {os.getpid()}"
    assert control.take_lr() == 0.02
    on_disk = read_events(tmp_path / "events.jsonl")
    assert [type(e).__name__ for e in on_disk] == ["Notice", "CommandTaken", "CommandTaken"]
    assert not (tmp_path / "commands").exists()  # each command was taken once; the folder goes with the run


def _until(condition, timeout: float = 10.0) -> bool:
    done = threading.Event()
    deadline = threading.Timer(timeout, done.set)
    deadline.start()
    try:
        while not condition():
            if done.wait(0.01):
                return False
        return True
    finally:
        deadline.cancel()


def test_a_command_file_of_another_owner_or_not_a_command_is_refused(tmp_path: Path) -> None:
    folder = commands.open_inbox(tmp_path)
    (folder / "1-bad.json").write_text("{nope")
    (folder / "2-good.json").write_text(json.dumps({"action": "stop"}))
    other = os.geteuid() + 1
    taken = commands.take(folder, owner=other)  # as seen by a run of another user
    assert all(t.command is None and "not by the run's owner" in t.refused for t in taken)
    (folder / "1-bad.json").write_text("{nope")
    (folder / "2-good.json").write_text(json.dumps({"action": "stop"}))
    taken = commands.take(folder)
    assert taken[0].command is None and "not a command" in taken[0].refused
    assert taken[1].command == Command("stop")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another user")
def test_another_user_cannot_write_a_command_and_a_file_they_own_is_refused(tmp_path: Path) -> None:
    import tempfile

    seen, control = [], RunControl()
    tmp_path = Path(tempfile.mkdtemp(prefix="rdfia-owner-"))  # pytest's own tmp root is closed to other users
    os.chmod(tmp_path, 0o755)
    try:
        _refused_for_another_user(tmp_path, seen, control)
    finally:
        shutil.rmtree(tmp_path)


def _refused_for_another_user(tmp_path: Path, seen: list, control: RunControl) -> None:
    with published(tmp_path, seen.append, control):
        script = "import os, sys; from pathlib import Path; from rdfia_tui.engine.live.commands import send; " \
                 "from rdfia_tui.engine.control import Command; from rdfia_tui.engine.errors import RecordError; " \
                 "os.setgid(65534); os.setuid(65534)\ntry: send(Path(sys.argv[1]), Command('stop'))\n" \
                 "except RecordError as e: sys.exit(str(e))"  # fmt: skip
        result = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True)
        assert result.returncode != 0 and "permission denied (only the user who started the run can)" in result.stderr
        planted = tmp_path / "commands" / "0-planted.json"
        planted.write_text(json.dumps({"action": "stop"}))
        os.chown(planted, 65534, 65534)  # as if another user had managed to write it
        assert _until(lambda: any(isinstance(e, Notice) and "uid 65534" in e.message for e in seen))
    assert not control.stop.is_set()


def test_sending_to_a_run_without_a_command_folder_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(RecordError, match="takes no commands"):
        commands.send(tmp_path, Command("stop"))


def test_liveness_tells_a_live_process_from_a_dead_one_and_a_reused_pid() -> None:
    me = LiveState.now()
    assert is_alive(me)
    if process_start(os.getpid()) is not None:
        assert not is_alive(replace(me, process_start="1"))  # the pid now belongs to another program
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert not is_alive(replace(me, pid=gone.pid, process_start=None))
    far = replace(me, host=socket.gethostname() + "-elsewhere")
    assert is_alive(replace(far, heartbeat=far.heartbeat - 5))
    assert not is_alive(replace(far, heartbeat=far.heartbeat - 600))


def test_a_zombie_is_not_alive() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    assert _until(lambda: (Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"))
    assert not is_alive(replace(LiveState.now(), pid=child.pid, process_start=process_start(child.pid)))
    child.wait()


def test_a_published_run_beats_and_says_where_it_is(tmp_path: Path) -> None:
    with published(tmp_path, lambda e: None, RunControl()) as emit:
        first = read_live(tmp_path)
        emit(RunStarted(tmp_path, "p", {}, "cpu", 1, [], 1, 1, 1, 10, 4))
        emit(BatchProgress(3, 2, 4, 0.1, 1.0, 1.0))
        assert _until(lambda: read_live(tmp_path).heartbeat > first.heartbeat, timeout=5)
    state = read_live(tmp_path)
    assert (state.pid, state.epochs_done, state.step, state.epochs) == (os.getpid(), 2, 2, 10)
    assert state.progress == pytest.approx(2.5 / 10)


def test_follow_replays_then_follows_and_relays_commands(tmp_path: Path) -> None:
    control, seen = RunControl(), []
    with published(tmp_path, lambda e: None, control) as emit:
        emit(EVERY_EVENT[0])
        emit(Notice("history"))
        client = RunControl()
        client.expect_relay()
        client.send(Command("pause"))  # before the follower is bound: held, then sent
        worker = threading.Thread(target=lambda: seen.append(follow(tmp_path, seen.append, client, poll=0.01)))
        worker.start()
        assert control.pause.wait(10)
        emit(RunFinished(tmp_path, "stopped", "by request"))
        worker.join(10)
    assert seen[0] == EVERY_EVENT[0] and seen[1] == Notice("history")
    assert any(isinstance(e, CommandTaken) and e.action == "pause" for e in seen)
    assert isinstance(seen[-2], RunFinished) and seen[-1] is Followed.FINISHED


def test_follow_calls_a_run_whose_process_is_gone_lost(tmp_path: Path) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    replace(LiveState.now(), pid=gone.pid, process_start=None).write(tmp_path)
    (tmp_path / "events.jsonl").write_text(encode(EVERY_EVENT[0]))
    seen = []
    assert follow(tmp_path, seen.append, RunControl(), poll=0.01) is Followed.LOST
    assert isinstance(seen[-1], RunFinished) and seen[-1].status == "lost" and "resume" in seen[-1].message


def test_coalescing_keeps_every_step_loss_and_the_last_position() -> None:
    from rdfia_tui.engine.live.follow import coalesced

    a, b = BatchProgress(1, 2, 9, 0.5, 10.0, 5.0, (0.6, 0.5)), BatchProgress(1, 4, 9, 0.3, 11.0, 4.0, (0.4, 0.3))
    c = BatchProgress(2, 1, 9, 0.2, 12.0, 3.0, (0.2,))  # another epoch: kept apart
    e1, e2 = EvaluationProgress(1, "val", 5, 20, 0.1), EvaluationProgress(1, "val", 15, 20, 0.3)
    note = Notice("between")
    merged = coalesced([a, b, note, e1, e2, c])
    assert merged == [replace(b, losses=(0.6, 0.5, 0.4, 0.3)), note, e2, c]


def test_a_folder_or_odd_file_in_the_command_folder_is_refused_and_commands_go_on(tmp_path: Path) -> None:
    seen, control = [], RunControl()
    with published(tmp_path, seen.append, control):
        (tmp_path / "commands" / "0001-dir.json").mkdir()
        (tmp_path / "commands" / "0002-list.json").write_text("[1, 2]")
        assert _until(lambda: sum("refused a command" in getattr(e, "message", "") for e in seen) == 2)
        commands.send(tmp_path, Command("pause"))
        assert control.pause.wait(10)  # the command thread lives on
    refusals = [e.message for e in seen if isinstance(e, Notice)]
    assert "not a regular file" in refusals[0] and "not a command" in refusals[1]


def test_a_replay_keeps_every_epoch_and_step_loss_and_only_the_last_panels() -> None:
    from rdfia_tui.engine.live.follow import for_replay

    started, plane = EVERY_EVENT[0], EVERY_EVENT[5]
    history = [started, plane]
    for epoch in (1, 2, 3):
        history += [BatchProgress(epoch, 1, 2, 0.5, 1.0, 1.0, (0.6,)), EvaluationProgress(epoch, "val", 1, 2, 0.1),
                    BatchProgress(epoch, 2, 2, 0.4, 1.0, 1.0, (0.4,)), EvaluationProgress(epoch, "test", 2, 2, 0.2),
                    EpochEnded(replace(METRICS, epoch=epoch), 3), BoundaryUpdated(epoch, ((0,),), (0.0, 1.0), (0.0, 1.0))]  # fmt: skip
    replay = for_replay(history)
    assert [type(e).__name__ for e in replay] == ["RunStarted", "PlanePoints"] + ["BatchProgress", "EpochEnded"] * 3 + ["BoundaryUpdated"]
    assert [e.losses for e in replay if isinstance(e, BatchProgress)] == [(0.6, 0.4)] * 3
    assert replay[-1].epoch == 3


def test_a_history_read_decodes_only_the_last_of_the_superseded_panels(tmp_path: Path) -> None:
    grids = [BoundaryUpdated(e, ((e,),), (0.0, 1.0), (0.0, 1.0)) for e in (1, 2, 3)]
    path = tmp_path / "events.jsonl"
    path.write_text("".join(encode(e) for e in [grids[0], Notice("a"), grids[1], Notice("b"), grids[2]]))
    events = EventReader(path).read(superseded=frozenset({"BoundaryUpdated"}))
    assert events == [Notice("a"), Notice("b"), grids[2]]
