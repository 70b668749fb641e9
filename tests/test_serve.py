"""``rdfia-tui serve``: the console in a browser through textual-serve, as a real server process on a free local port.

The server is started once for the module and killed at its end (its whole process group, so the consoles
textual-serve started for the websocket clients go too). Every wait polls for a condition until a deadline.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

INSTALL_HINT = 'rdfia-tui: error: serving needs textual-serve; install it with: pip install -e ".[serve]" in the rdfia-tui clone'
START_DEADLINE = 20.0  # seconds for the server to answer GET /
CONSOLE_DEADLINE = 30.0  # seconds for the served console to draw its first screen (it imports the app, then draws)
# What textual-serve's server logs when the command it runs does not speak Textual's web protocol (it exited, or printed
# something else first): the browser then waits on the intro dialog forever, so the tests stop waiting at once.
APP_FAILED = "Application failed to start"
ANSI = re.compile(r"\x1b(?:\[[0-9;?<=>$]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[()#][0-9A-Za-z]|[=>78])")
# The console's first screen: the preset list (with the default preset), the hyper-parameter form and the plots.
FIRST_SCREEN = ("Presets", "circles-mlp", "Hyper-parameters", "accuracy (%)")
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "CLICOLOR_FORCE", "PY_COLORS", "NO_COLOR")}
    return env | {"OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore", "PYTHONUNBUFFERED": "1"} | extra


def wait_for(condition: Callable[[], object], deadline: float, what: str, failed: Callable[[], str | None] = lambda: None):
    """Poll ``condition`` until it returns something truthy; fail at the deadline, or at once when ``failed`` says why."""
    end = time.monotonic() + deadline
    while True:
        result = condition()
        if result:
            return result
        if why := failed():
            pytest.fail(f"{what}: {why}")
        if time.monotonic() > end:
            pytest.fail(f"{what}: not within {deadline:g}s")
        time.sleep(0.05)


@dataclass
class Served:
    proc: subprocess.Popen
    port: int
    log: Path  # the server's stdout and stderr: textual-serve's log and rdfia-tui's line

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def failure(self) -> str | None:
        """Why the server, or the console it started, cannot answer any more; None while all is well."""
        if self.proc.poll() is not None:
            return f"the server exited with {self.proc.returncode}; its log:\n{self.log_text()[-3000:]}"
        log = self.log_text()
        if APP_FAILED in log:
            return f"textual-serve says {APP_FAILED!r}; the server's log:\n{log[-3000:]}"
        return None


def get(url: str, timeout: float = 5.0) -> tuple[int, str, str]:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.headers.get("Content-Type", ""), response.read().decode("utf-8", "replace")


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM (the server shuts down gracefully), SIGKILL after a deadline, then whatever is left in its process group."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # a console textual-serve started and did not stop


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``rdfia-tui serve`` with the default host on a free port, answering GET /; killed at the end of the module."""
    pytest.importorskip("textual_serve", reason='needs textual-serve: pip install -e ".[serve]" in the rdfia-tui clone')
    work = tmp_path_factory.mktemp("serve")
    port = free_port()
    log = work / "server.log"
    env = child_env(RDFIA_TUI_RUNS=str(work / "env-runs"), RDFIA_TUI_DATA=str(work / "env-data"))
    command = [sys.executable, "-m", "rdfia_tui", "serve", "--port", str(port), "--runs-dir", str(work / "runs")]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command, cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Served(proc, port, log)
    try:

        def answers() -> bool:
            try:
                return get(server.url, timeout=2)[0] == 200
            except (urllib.error.URLError, OSError):
                return False

        wait_for(answers, START_DEADLINE, f"'rdfia-tui serve --port {port}' answering GET /", failed=server.failure)
        yield server
    finally:
        stop(proc)


# --------------------------------------------------------------------------- the page


def test_serves_the_page_naming_the_app(served: Served) -> None:
    status, content_type, page = get(served.url)
    assert status == 200
    assert content_type.startswith("text/html"), content_type
    assert page.lstrip().lower().startswith("<!doctype html>"), page[:200]
    assert "<div>rdfia-tui</div>" in page, "the intro dialog names the app (textual-serve's title=)"
    # The page drives the console through the websocket of this very server, and loads textual-serve's own scripts:
    assert f'data-session-websocket-url="ws://127.0.0.1:{served.port}/ws"' in page
    assert f'src="http://127.0.0.1:{served.port}/static/js/textual.js"' in page
    # textual-serve's statics and templates are found (its relative defaults resolve beside its server.py)
    status, content_type, script = get(f"{served.url}static/js/textual.js")
    assert status == 200 and "javascript" in content_type, content_type
    assert len(script) > 10_000
    assert "serving the console at http://127.0.0.1:" in served.log_text()


def non_loopback_address() -> str | None:
    """An IPv4 address of this machine that is not a loopback one, or None."""
    candidates = []
    for probe in ("192.0.2.1", "10.255.255.255", "8.8.8.8"):  # a UDP connect only picks the route: nothing is sent
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                sock.connect((probe, 9))
            except OSError:
                continue
            candidates.append(sock.getsockname()[0])
    with contextlib.suppress(OSError):
        candidates += socket.gethostbyname_ex(socket.gethostname())[2]
    for address in candidates:
        if address.startswith("127.") or address == "0.0.0.0":
            continue
        with socket.socket() as sock:
            try:
                sock.bind((address, 0))  # it is ours
            except OSError:
                continue
        return address
    return None


def test_listens_on_localhost_only_by_default(served: Served) -> None:
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to try the server on")
    # A control: a listener of our own on that address is reachable, so a refusal below is the server's binding.
    with socket.socket() as listener:
        listener.bind((address, 0))
        listener.listen()
        with socket.create_connection(listener.getsockname(), timeout=5):
            pass
    with pytest.raises(OSError), socket.create_connection((address, served.port), timeout=5):
        pass
    with socket.create_connection(("127.0.0.1", served.port), timeout=5):
        pass


# --------------------------------------------------------------------------- without textual-serve


def test_without_textual_serve_says_how_to_install_it(tmp_path: Path) -> None:
    hidden = tmp_path / "hidden" / "textual_serve"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text('raise ImportError("textual-serve is hidden by the test")\n')
    pythonpath = os.pathsep.join(p for p in (str(hidden.parent), os.environ.get("PYTHONPATH", "")) if p)
    runs = tmp_path / "runs"
    out = subprocess.run(
        [sys.executable, "-m", "rdfia_tui", "serve", "--port", str(free_port()), "--runs-dir", str(runs)],
        cwd=tmp_path,
        env=child_env(PYTHONPATH=pythonpath, RDFIA_TUI_RUNS=str(tmp_path / "env-runs")),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2, (out.returncode, out.stderr)
    assert out.stderr == INSTALL_HINT + "\n"
    assert "Traceback" not in out.stdout and out.stdout == ""
    assert not runs.exists() and not (tmp_path / "env-runs").exists()


# --------------------------------------------------------------------------- the console over the websocket


def screen_text(frames: list[bytes]) -> str:
    return ANSI.sub("", b"".join(frames).decode("utf-8", "replace"))


def test_the_console_draws_over_the_websocket(served: Served) -> None:
    """What a browser gets: textual-serve starts the console when the websocket connects and relays its screen."""
    import aiohttp

    async def first_screen() -> str:
        frames: list[bytes] = []
        end = time.monotonic() + CONSOLE_DEADLINE
        async with aiohttp.ClientSession() as session, session.ws_connect(f"ws://127.0.0.1:{served.port}/ws?width=120&height=40") as ws:
            while not all(word in screen_text(frames) for word in FIRST_SCREEN):
                if why := served.failure():
                    pytest.fail(f"the served console: {why}")
                if time.monotonic() > end:
                    pytest.fail(f"the served console drew no first screen within {CONSOLE_DEADLINE:g}s: {screen_text(frames)[-500:]!r}")
                with contextlib.suppress(TimeoutError):
                    message = await ws.receive(timeout=0.2)
                    if message.type == aiohttp.WSMsgType.BINARY:
                        frames.append(message.data)
                    elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                        pytest.fail(f"the server closed the websocket; the screen so far: {screen_text(frames)[-500:]!r}")
        return screen_text(frames)

    screen = asyncio.run(first_screen())
    assert "Traceback" not in screen


# --------------------------------------------------------------------------- a real browser


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "headless_shell"):
        if path := shutil.which(name):
            return path
    return None


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:16]
    assert data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


class DevTools:
    """The few Chrome DevTools Protocol calls the test needs, over the page's websocket."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.last_id = 0
        self.events: list[dict] = []

    async def call(self, method: str, **params):
        self.last_id += 1
        await self.ws.send_json({"id": self.last_id, "method": method, "params": params})
        while True:
            message = json.loads((await self.ws.receive(timeout=CONSOLE_DEADLINE)).data)
            if message.get("id") == self.last_id:
                assert "error" not in message, (method, message)
                return message["result"]
            self.events.append(message)

    async def evaluate(self, expression: str, await_promise: bool = False):
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=await_promise)
        return result["result"].get("value")

    def websocket_text(self) -> str:
        """What the page's own websocket (to textual-serve) received: the console's screen."""
        frames = [e["params"]["response"] for e in self.events if e.get("method") == "Network.webSocketFrameReceived"]
        return screen_text([base64.b64decode(f["payloadData"]) for f in frames if f.get("opcode") == 2])


def test_a_headless_chromium_shows_the_console(served: Served, tmp_path: Path) -> None:
    """Chromium opens the page, its script connects the websocket, and the console's first screen is drawn."""
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("needs a headless Chromium (chromium, chromium-browser, google-chrome or headless_shell on PATH)")
    import aiohttp

    profile = tmp_path / "profile"
    screenshot = tmp_path / "console.png"
    # --screenshot with --virtual-time-budget would shoot the intro dialog: virtual time runs out before the console,
    # a separate process, has drawn. DevTools lets the test wait for the drawn screen instead.
    browser = subprocess.Popen(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", f"--user-data-dir={profile}",
         "--remote-debugging-port=0", "--window-size=1280,800", "about:blank"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        active_port = profile / "DevToolsActivePort"

        def devtools_port() -> int | None:
            lines = active_port.read_text().split() if active_port.exists() else []
            return int(lines[0]) if lines else None

        def browser_gone() -> str | None:
            return None if browser.poll() is None else f"chromium exited with {browser.returncode}"

        port = wait_for(devtools_port, CONSOLE_DEADLINE, "chromium's DevTools port", failed=browser_gone)

        async def shoot() -> str:
            async with aiohttp.ClientSession() as session:
                async with session.get(f"http://127.0.0.1:{port}/json/list") as response:
                    page = next(t for t in await response.json() if t["type"] == "page")
                async with session.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                    tools = DevTools(ws)
                    await tools.call("Network.enable")
                    await tools.call("Emulation.setDeviceMetricsOverride", width=1280, height=800, deviceScaleFactor=1, mobile=False)
                    await tools.call("Page.navigate", url=served.url)
                    end = time.monotonic() + CONSOLE_DEADLINE
                    while True:
                        classes = await tools.evaluate("document.body ? document.body.className : ''") or ""
                        # textual.js adds -first-byte once the console's output reaches the terminal, -closed if the session ends
                        drawn = "-first-byte" in classes and all(word in tools.websocket_text() for word in FIRST_SCREEN)
                        if drawn:
                            break
                        assert "-closed" not in classes, f"the page says 'Session ended.': {tools.websocket_text()[-500:]!r}"
                        if why := served.failure() or browser_gone():
                            pytest.fail(f"the console in chromium: {why}")
                        if time.monotonic() > end:
                            pytest.fail(f"chromium showed no console within {CONSOLE_DEADLINE:g}s (body class {classes!r})")
                        await asyncio.sleep(0.1)
                    # xterm.js paints on the next animation frames: wait for two, then shoot
                    await tools.evaluate(
                        "new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))", await_promise=True
                    )
                    shot = await tools.call("Page.captureScreenshot", format="png")
                    screenshot.write_bytes(base64.b64decode(shot["data"]))
                    await tools.call("Page.navigate", url="about:blank")  # the websocket closes: textual-serve stops the console
                    return tools.websocket_text()

        asyncio.run(shoot())
    finally:
        stop(browser)
    data = screenshot.read_bytes()
    assert png_size(data) == (1280, 800)
    assert len(data) > 30_000, f"a {len(data)}-byte screenshot is too plain to show the console"
