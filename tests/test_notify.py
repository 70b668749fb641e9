"""When a run ends: the web hook (--notify, a JSON POST to a local server) and the terminal's bell and OSC notification."""

from __future__ import annotations

import io
import json
import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from rdfia_tui.cli.main import main
from rdfia_tui.cli.run_end import sweep_body
from rdfia_tui.engine import notify
from rdfia_tui.engine.errors import ConfigError
from rdfia_tui.engine.runs.summary import read_summary

SHORT = ["--set", "train.epochs=1", "--device", "cpu"]


class Hook(BaseHTTPRequestHandler):
    received: list[tuple[str, dict]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Hook.received.append((self.headers["Content-Type"], body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:  # keep the test output clean
        pass


@pytest.fixture
def hook_url():
    Hook.received = []
    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_finished_run_posts_one_json_summary(
    runs_dir: Path, hook_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(notify.NOTIFY_ENV, raising=False)
    monkeypatch.chdir(runs_dir.parent)
    monkeypatch.setenv("RDFIA_TUI_RUNS", runs_dir.name)  # a relative runs folder: the hook still gets an absolute path
    assert main(["run", "circles-mlp", *SHORT, "--notify", hook_url]) == 0
    assert notify.NOTIFY_ENV not in os.environ  # the URL was the command's: the next command in this process has none
    assert len(Hook.received) == 1
    kind, body = Hook.received[0]
    run_dir = Path(body["run_dir"])
    summary = read_summary(run_dir)
    assert kind == "application/json" and run_dir.is_absolute() and run_dir.parent == runs_dir.resolve()
    assert body == {
        "preset": "circles-mlp",
        "status": "completed",
        "best_test_acc": summary["best_test_acc"],
        "final_test_acc": summary["final_test_acc"],
        "duration_s": summary["duration_s"],
        "run_dir": str(run_dir),
        "message": "",
    }
    assert 0 <= body["final_test_acc"] <= 1 and body["duration_s"] > 0


def test_a_dead_hook_is_a_note_and_the_run_stays_completed(
    runs_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(notify.NOTIFY_ENV, f"http://127.0.0.1:{closed_port()}/hook")
    assert main(["run", "circles-mlp", *SHORT]) == 0
    out = capsys.readouterr().out
    note = [line for line in out.splitlines() if line.startswith("note: could not notify http://127.0.0.1:")]
    assert len(note) == 1 and "refused" in note[0].lower()
    run_dir = next(line.removeprefix("run folder: ") for line in out.splitlines() if line.startswith("run folder: "))
    assert read_summary(Path(run_dir))["status"] == "completed"


MALFORMED = ["not a url", "http://", "hook.example.org/x", "http://[::1", "http://[zz]/x", "http://h:99999/", "http://h:abc/",
             "http://h:-1/", "https://exa mple.org/", "http://example.org/\x07x", "http://example.org/a\tb", "http://:80/",
             "http://ex%20ample/", "http://h%00/", "http://ex%0aample/", "http://[::1%00]:1/", "http://[::1%20x]:1/",
             "http://user:pw@127.0.0.1:1/"]  # fmt: skip


@pytest.mark.parametrize("url", MALFORMED)
def test_a_malformed_url_is_one_line_before_anything_starts(
    url: str, runs_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(notify.NOTIFY_ENV, raising=False)
    assert main(["run", "circles-mlp", "--notify", url]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "--notify: got" in captured.err and "https://" in captured.err
    assert not runs_dir.exists() or not any(runs_dir.iterdir())
    monkeypatch.setenv(notify.NOTIFY_ENV, url)  # the same from the environment
    assert main(["run", "circles-mlp"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{notify.NOTIFY_ENV}: got" in err


def test_whatever_the_sender_raises_is_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    """A URL the check let through but urllib or http.client refuses when sending (or any library error) never fails the run."""
    import http.client

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise http.client.InvalidURL("URL can't contain control characters")

    monkeypatch.setattr("urllib.request.urlopen", refuse)
    note = notify.post("http://127.0.0.1:9/hook", {"preset": "x", "status": "completed"})
    assert note == "could not notify http://127.0.0.1:9/hook: InvalidURL: URL can't contain control characters"


@pytest.mark.parametrize("url", ["http://[::1]:8080/hook", "http://[fe80::1%25eth0]:80/x", "https://hook.example.org:443/x?a=1", "HTTP://Example.org/"])
def test_a_well_formed_url_is_taken(url: str) -> None:
    assert notify.check_notify_url(f" {url} ") == url


def test_a_scheme_apprise_does_not_know_is_refused_at_start(runs_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("apprise", reason="the notify extra is not installed")
    assert notify.check_notify_url("ntfy://topic") == "ntfy://topic"
    assert main(["run", "circles-mlp", "--notify", "ftp://example.org/x"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "apprise does not know 'ftp://example.org/x'" in err
    assert not runs_dir.exists() or not any(runs_dir.iterdir())


def test_another_scheme_without_apprise_says_which_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_apprise(name, *args, **kwargs):
        if name == "apprise":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_apprise)
    problem = notify.post("ntfy://topic", notify.payload({"preset": "p"}, "completed"))
    assert problem is not None and 'apprise: pip install -e ".[notify]" in the rdfia-tui clone' in problem
    with pytest.raises(ConfigError, match=r'other schemes need apprise: pip install -e "\.\[notify\]" in the rdfia-tui clone$'):
        notify.check_notify_url("ntfy://topic")  # said at start, not after the run


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_terminal_gets_the_bell_and_both_osc_notifications(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(notify.NO_ALERT_ENV, raising=False)
    terminal = FakeTerminal()
    assert notify.alert_terminal("run\x1b]0;evil\a; done", terminal)
    text = "run ]0,evil , done"  # no escape of the preset's can end the sequence early; ';' is OSC 777's separator
    assert terminal.getvalue() == f"\a\x1b]9;{text}\a\x1b]777;notify;rdfia-tui;{text}\a"
    log = io.StringIO()
    assert not notify.alert_terminal("done", log) and log.getvalue() == ""  # a log file gets no escapes
    monkeypatch.setenv(notify.NO_ALERT_ENV, "1")
    quiet = FakeTerminal()
    assert not notify.alert_terminal("done", quiet) and quiet.getvalue() == ""


def test_a_sweep_sends_its_folder_as_an_absolute_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    points = [{"final_test_acc": 0.5, "best_test_acc": 0.75}, {"final_test_acc": 0.625, "best_test_acc": None}]
    body = sweep_body("grid", "completed", points, "runs/sweep-1", started=0.0)
    assert body["run_dir"] == str(tmp_path.resolve() / "runs" / "sweep-1")
    assert (body["final_test_acc"], body["best_test_acc"]) == (0.625, 0.75)


def test_the_one_line_names_the_reason_of_a_failure() -> None:
    body = notify.payload({"preset": "p", "final_test_acc": 0.5}, "diverged", "the loss became non-finite")
    assert notify.one_line(body) == "p diverged: 50.0% test (the loss became non-finite)"


def test_another_scheme_goes_through_apprise(hook_url: str) -> None:
    pytest.importorskip("apprise", reason="the notify extra is not installed")
    body = notify.payload({"preset": "circles-mlp", "final_test_acc": 0.99}, "completed")
    assert notify.post(hook_url.replace("http://", "json://"), body) is None
    assert [sent["message"] for _, sent in Hook.received] == ["circles-mlp completed: 99.0% test"]
