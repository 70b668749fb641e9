"""The console as a client of runs in their own processes: launch and follow, detach, attach, steer from two
consoles, lost runs. The runs here are tests/fake_run.py, a torch-free process that publishes scripted events
through the engine's own publisher; test_live_real.py does the same with real training."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from rdfia_tui.engine.control import Command
from rdfia_tui.engine.events import BatchProgress, RunFinished
from rdfia_tui.engine.live.ask import ask
from rdfia_tui.engine.live.launch import launch
from rdfia_tui.engine.live.stream import read_events
from rdfia_tui.engine.presets import load_preset
from rdfia_tui.engine.runs.liveness import read_live
from rdfia_tui.engine.runs.record import read_metrics_csv
from rdfia_tui.tui.runner import ProcessEngine
from rdfia_tui.tui.screens.dialogs import Confirm, ConfirmQuit, LearningRateDialog
from tests.helpers import summary_of
from tests.tui_fakes import make_app, wait_for

FAKE = Path(__file__).with_name("fake_run.py")
pytestmark = pytest.mark.usefixtures("no_run_left_behind")


def fake_command(args: list[str]) -> list[str]:
    return [sys.executable, str(FAKE), *args]


@pytest.fixture
def slow_fake(monkeypatch):
    monkeypatch.setenv("FAKE_STEPS", "10")
    monkeypatch.setenv("FAKE_STEP_S", "0.02")


def start_fake(tmp_path: Path, epochs: int) -> Path:
    """A fake run started headless (as 'rdfia-tui run --detach' would), in tmp_path/runs; its run folder."""
    from rdfia_tui.engine import config as config_mod

    runs = tmp_path / "runs"
    runs.mkdir(exist_ok=True)
    preset = tmp_path / "fake.toml"
    preset.write_text(config_mod.dumps(config_mod.with_value(load_preset("circles-mlp"), "train.epochs", epochs)))
    return launch(fake_command(["run", str(preset), "--runs-dir", str(runs)]), runs).run_dir


def summary(run_dir: Path) -> dict:
    return summary_of(run_dir)


def epoch_series(app) -> list[float]:
    return app.main.curves.acc.series.get("test", ([], []))[1]


def footer_says(app, key: str) -> str | None:
    from textual.widgets._footer import FooterKey

    found = [k.description for k in app.screen.query(FooterKey) if k.key == key]
    return found[0] if found else None


def csv_series(run_dir: Path) -> list[float]:
    return [100 * row["test_acc"] for row in read_metrics_csv(run_dir / "metrics.csv")]


async def test_start_launches_a_process_that_the_console_follows(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FAKE_STEP_S", "0.001")
    app = make_app(tmp_path, ProcessEngine(fake_command), overrides=("train.epochs=5",))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.main.form.config is not None)
        await pilot.press("s")
        await wait_for(pilot, lambda: app.last_status == "completed" and not app.running)
        run_dir = app.run_dir
        assert summary(run_dir)["pid"] != __import__("os").getpid()  # trained in a process of its own
        assert epoch_series(app) == pytest.approx(csv_series(run_dir))
        assert "finished" in app.main.log_view.entries[-1]
    assert (run_dir / "output.log").is_file() and not list((tmp_path / "runs").glob(".launch-*"))


async def test_a_run_that_refuses_to_start_says_why_in_one_line(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FAKE_REFUSE", "data.path /nowhere does not exist; give an existing folder")
    app = make_app(tmp_path, ProcessEngine(fake_command))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.main.form.config is not None)
        await pilot.press("s")
        await wait_for(pilot, lambda: not app.running and any("error:" in e for e in app.main.log_view.entries))
        assert "error: data.path /nowhere does not exist; give an existing folder" in app.main.log_view.entries
    assert not list((tmp_path / "runs").glob(".launch-*"))  # the launch's log and preset are cleaned up


async def test_quit_can_leave_the_run_training_and_attach_shows_it_again(tmp_path: Path, slow_fake) -> None:
    app = make_app(tmp_path, ProcessEngine(fake_command), overrides=("train.epochs=500",))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.main.form.config is not None)
        await pilot.press("s")
        await wait_for(pilot, lambda: len(epoch_series(app)) >= 2)
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmQuit))
        await pilot.press("d")
        await wait_for(pilot, lambda: not app.is_running, timeout=10)
    run_dir = app.run_dir
    assert summary(run_dir)["status"] == "running"  # the console has gone; the run has not (500 epochs = 100 s)
    ask(run_dir, Command("stop"), timeout=30)
    assert await_end(run_dir)["status"] == "stopped"
    steps = sum(isinstance(e, BatchProgress) for e in read_events(run_dir / "events.jsonl"))
    again = make_app(tmp_path, ProcessEngine(fake_command), attach=run_dir)
    async with again.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: again.last_status == "stopped" and not again.running)
        assert epoch_series(again) == pytest.approx(csv_series(run_dir))
        assert len(again.main.curves.steps) == steps > 20  # every step's loss, replayed
        assert not again.available("pause", again.main)  # a finished run is shown read-only


def await_end(run_dir: Path, timeout: float = 60) -> dict:
    import time

    deadline = time.monotonic() + timeout
    while summary(run_dir)["status"] == "running":
        assert time.monotonic() < deadline, "the run did not end"
        time.sleep(0.02)
    return summary(run_dir)


async def test_attach_to_a_headless_run_pauses_sets_lr_and_stops_it(tmp_path: Path, slow_fake) -> None:
    run_dir = start_fake(tmp_path, epochs=200)
    app = make_app(tmp_path, ProcessEngine(fake_command), attach=run_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: len(epoch_series(app)) >= 2)
        await pilot.press("p")
        await wait_for(pilot, lambda: "paused" in app.main.status_line.epoch_text and read_live(run_dir).paused, timeout=10)
        def written() -> int:
            return sum(isinstance(e, BatchProgress) for e in read_events(run_dir / "events.jsonl"))

        at_pause = written()
        await wait_for(pilot, lambda: len(app.main.curves.steps) >= at_pause)  # the follower has caught up with the file
        await pilot.pause(0.5)
        steps = written()
        assert steps <= at_pause + 1  # at most the step under way when the pause came, then none
        await wait_for(pilot, lambda: len(app.main.curves.steps) == steps)
        await pilot.press("p")
        await wait_for(pilot, lambda: len(app.main.curves.steps) > steps + 3)
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, LearningRateDialog))
        await pilot.press(*"0.0123", "enter")
        await wait_for(pilot, lambda: any("learning rate set to 0.0123" in e for e in app.main.log_view.entries))
        await pilot.press("x")
        await wait_for(pilot, lambda: app.last_status == "stopped" and not app.running)
        assert epoch_series(app) == pytest.approx(csv_series(run_dir))
    record = summary(run_dir)
    assert record["status"] == "stopped" and record["lr_changes"][0]["lr"] == 0.0123


async def test_two_consoles_see_each_others_commands(tmp_path: Path, slow_fake) -> None:
    run_dir = start_fake(tmp_path, epochs=200)
    first = make_app(tmp_path, ProcessEngine(fake_command), attach=run_dir)
    second = make_app(tmp_path, ProcessEngine(fake_command), attach=run_dir)
    async with first.run_test(size=(120, 40)) as one, second.run_test(size=(120, 40)) as two:
        await wait_for(one, lambda: first.running and first.run_dir == run_dir)
        await wait_for(two, lambda: second.running and second.run_dir == run_dir)
        await one.press("p")  # the first pauses; the second sees it
        await wait_for(two, lambda: second.session.paused and "paused" in second.main.log_view.entries[-1], timeout=10)
        await wait_for(two, lambda: footer_says(second, "p") == "Resume")  # the footer follows the other console's pause
        await two.press("p")  # the second resumes; the first sees it
        await wait_for(one, lambda: not first.session.paused and "resumed" in first.main.log_view.entries, timeout=10)
        await two.press("x")
        await wait_for(one, lambda: first.last_status == "stopped" and not first.running)
        await wait_for(two, lambda: second.last_status == "stopped" and not second.running)


async def test_runs_screen_puts_live_runs_first_and_enter_attaches(tmp_path: Path, slow_fake) -> None:
    from tests.tui_fakes import write_run

    write_run(tmp_path / "runs", "20991231-235959-later-but-finished", 0.1, [0.5, 0.6])
    run_dir = start_fake(tmp_path, epochs=200)
    app = make_app(tmp_path, ProcessEngine(fake_command))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.main.form.config is not None)
        await pilot.press("r")
        await wait_for(pilot, lambda: app.screen.id == "runs" and app.screen.runs)
        table = app.screen.query_one("#runs-table")
        first_row = table.get_row_at(0)
        assert first_row[1] == run_dir.name and first_row[3] == "● running" and "%" in first_row[5]
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.running and app.run_dir == run_dir and len(epoch_series(app)) >= 1)
        await pilot.pause(0.1)
        assert app.screen is app.main and app.main.is_mounted  # the runs screen closed, and only it
        await pilot.press("x")
        await wait_for(pilot, lambda: app.last_status == "stopped" and not app.running)
    assert isinstance(read_events(run_dir / "events.jsonl")[-1], RunFinished)


async def test_starting_a_run_while_following_one_leaves_the_first_training(tmp_path: Path, slow_fake) -> None:
    from rdfia_tui.engine.runs.liveness import is_alive

    first = start_fake(tmp_path, epochs=200)
    app = make_app(tmp_path, ProcessEngine(fake_command), attach=first)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.running and app.run_dir == first)
        app.main.form.set_value("train.epochs", 2)  # the form holds the followed run's config: a short run of it
        await wait_for(pilot, lambda: app.main.form.config.train.epochs == 2)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm))  # asked first: two runs will share the machine
        await pilot.press("y")
        await wait_for(pilot, lambda: app.run_dir not in (None, first) and app.last_status == "completed", timeout=30)
        assert summary(first)["status"] == "running" and is_alive(read_live(first))  # let go, not stopped
        assert any("leaving" in line and first.name in line for line in app.main.log_view.entries)


async def test_attaching_to_a_run_recorded_before_event_streams_says_so(tmp_path: Path) -> None:
    from tests.tui_fakes import write_run

    old = write_run(tmp_path / "runs", "20261101-100000-circles-mlp", 0.1, [0.5, 0.7])
    app = make_app(tmp_path, ProcessEngine(fake_command), attach=old)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: any("no events.jsonl" in line for line in app.main.log_view.entries))
        assert not app.running and app.main.status_line.epoch_text in ("", "idle")  # nothing began


def test_a_live_run_cannot_be_resumed_and_is_not_offered(tmp_path: Path, slow_fake) -> None:
    from rdfia_tui.engine.errors import RecordError
    from rdfia_tui.engine.runs.listing import list_runs
    from rdfia_tui.engine.runs.resume import can_resume, resume_config

    run_dir = start_fake(tmp_path, epochs=200)
    (run_dir / "checkpoint.pt").write_bytes(b"")  # as a run with train.checkpoint=epoch has
    (listed,) = list_runs(tmp_path / "runs")
    assert listed["status"] == "running" and not can_resume(listed)
    with pytest.raises(RecordError, match="is still training"):
        resume_config(run_dir)


def test_a_sweep_folder_means_its_point_in_training(tmp_path: Path, slow_fake) -> None:
    from rdfia_tui.engine import config as config_mod
    from rdfia_tui.engine.errors import RecordError
    from rdfia_tui.engine.runs.listing import find_run

    sweep = tmp_path / "runs" / "sweep-20261201-000000-lr"
    sweep.mkdir(parents=True)
    (sweep / "sweep.json").write_text("{}")
    with pytest.raises(RecordError, match="no point training now"):
        find_run(tmp_path / "runs", str(sweep))
    preset = tmp_path / "point.toml"
    preset.write_text(config_mod.dumps(config_mod.with_value(load_preset("circles-mlp"), "train.epochs", 200)))
    point = launch(fake_command(["run", str(preset), "--runs-dir", str(sweep)]), sweep).run_dir
    assert find_run(tmp_path / "runs", str(sweep)) == point
    assert find_run(tmp_path / "runs", "latest") == point  # sweep points count as runs for 'latest'


def row_of(app, name: str) -> int:
    table = app.screen.query_one("#runs-table")
    return next(i for i in range(table.row_count) if table.get_row_at(i)[1] == name)


async def test_switching_runs_quickly_from_the_runs_screen_keeps_the_main_screen(tmp_path: Path, slow_fake) -> None:
    first, second = start_fake(tmp_path, epochs=200), start_fake(tmp_path, epochs=200)
    app = make_app(tmp_path, ProcessEngine(fake_command), attach=first)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.running and app.run_dir == first)
        for target in (second, first, second):  # r, enter on the other run, at once again
            await pilot.press("r")
            await wait_for(pilot, lambda: app.screen.id == "runs" and app.screen.runs)
            app.screen.query_one("#runs-table").move_cursor(row=row_of(app, target.name))
            await pilot.press("enter")
        await wait_for(pilot, lambda: app.running and app.run_dir == second and len(epoch_series(app)) >= 1, timeout=30)
        await pilot.pause(0.1)
        assert app.screen is app.main and app.main.is_mounted
        assert "attaching to" in " ".join(app.main.log_view.entries)


async def test_a_sweep_point_and_a_run_of_the_same_name_are_two_rows(tmp_path: Path, slow_fake) -> None:
    from rdfia_tui.engine import config as config_mod
    from tests.tui_fakes import write_run

    sweep = tmp_path / "runs" / "sweep-20261201-000000-lr"
    sweep.mkdir(parents=True)
    (sweep / "sweep.json").write_text("{}")
    preset = tmp_path / "point.toml"
    preset.write_text(config_mod.dumps(config_mod.with_value(load_preset("circles-mlp"), "train.epochs", 200)))
    point = launch(fake_command(["run", str(preset), "--runs-dir", str(sweep)]), sweep).run_dir
    write_run(tmp_path / "runs", point.name, 0.1, [0.5, 0.6])  # a finished run that happens to have the same name
    app = make_app(tmp_path, ProcessEngine(fake_command))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.main.form.config is not None)
        await pilot.press("r")
        await wait_for(pilot, lambda: app.screen.id == "runs" and app.screen.runs)
        names = [app.screen.query_one("#runs-table").get_row_at(i)[1] for i in range(2)]
        assert names == [f"{sweep.name}/{point.name}", point.name]


async def test_a_screen_closed_twice_by_fast_keys_leaves_the_main_screen(tmp_path: Path) -> None:
    """r (Back on the runs screen) typed again while the screen is closing dismissed it twice: the main screen went."""
    app = make_app(tmp_path, ProcessEngine(fake_command))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.main.form.config is not None)
        await pilot.press("r")
        await wait_for(pilot, lambda: app.screen.id == "runs")
        runs = app.screen
        runs.dismiss(None)
        runs.dismiss(None)  # the second key's dismiss, before the first has popped the screen
        await pilot.pause(0.2)
        assert app.screen is app.main and app.main.is_mounted


async def test_a_worker_posting_while_the_console_exits_does_not_crash_the_exit(tmp_path: Path) -> None:
    """A follower posts events until it sees the app go; those taken while the screens are removed are dropped."""
    import threading

    from rdfia_tui.engine.events import BatchProgress
    from rdfia_tui.tui.messages import EngineEvent, LayersReady

    app = make_app(tmp_path)
    stop = threading.Event()

    def post_until_stopped() -> None:
        step = 0
        while not stop.is_set():
            step += 1
            app.post_message(EngineEvent(BatchProgress(1, step, 200, 0.5, 10.0, 1.0)))
            app.post_message(LayersReady(None, "gone"))

    thread = threading.Thread(target=post_until_stopped)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.main.form.config is not None)
            thread.start()
    finally:  # the exit raises here when a handler looked for a removed widget
        stop.set()
        thread.join()
