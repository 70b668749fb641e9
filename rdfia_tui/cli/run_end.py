"""The end of a headless run or sweep said outside the output: the web hook (--notify, $RDFIA_TUI_NOTIFY) and,
on a terminal, the bell with a desktop notification (engine.notify). A web hook that fails is a note, never an error.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from rdfia_tui.engine import notify
from rdfia_tui.engine.events import Emit, Event, Notice, RunFinished


def take_notify_url(args: argparse.Namespace) -> str | None:
    """--notify, else $RDFIA_TUI_NOTIFY, checked before anything starts (ConfigError: one line, exit 2). The URL is put in
    $RDFIA_TUI_NOTIFY so that the process that trains (a detached run, torchrun's ranks) notifies, not this one."""
    url = notify.notify_url(getattr(args, "notify", None))
    if url:
        os.environ[notify.NOTIFY_ENV] = url
    return url


@contextmanager
def notify_url_kept() -> Iterator[None]:
    """$RDFIA_TUI_NOTIFY as it was before the command, once the command returns: take_notify_url sets it for the
    command's children only (main() called twice in one process, as the tests do, must not inherit a URL)."""
    before = os.environ.get(notify.NOTIFY_ENV)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(notify.NOTIFY_ENV, None)
        else:
            os.environ[notify.NOTIFY_ENV] = before


def announced(view: Emit, url: str | None) -> Emit:
    """``view``, and at RunFinished the web hook (its problem shown through ``view`` as a Notice) and the terminal alert."""

    def emit(event: Event) -> None:
        view(event)
        if isinstance(event, RunFinished):
            announce(notify.payload(event.summary, event.status, event.message), url, lambda line: view(Notice(line)))

    return emit


def announce(body: Mapping[str, Any], url: str | None, note: Callable[[str], None]) -> None:
    """POST ``body`` to ``url`` (if any; a problem goes to ``note``), then the bell and desktop notification on stdout
    or stderr, whichever is a terminal."""
    if url:
        problem = notify.post(url, body)
        if problem:
            note(problem)
    stream = sys.stdout if sys.stdout.isatty() else sys.stderr
    notify.alert_terminal(notify.one_line(body), stream)


def sweep_body(name: str, status: str, points: list[Mapping[str, Any]], sweep_dir: str, started: float) -> dict[str, Any]:
    """A sweep's end as a web hook's payload: the best final and best test accuracy over its points (0-1)."""
    finals = [p["final_test_acc"] for p in points if p.get("final_test_acc") is not None]
    bests = [p["best_test_acc"] for p in points if p.get("best_test_acc") is not None]
    summary = {"preset": name, "best_test_acc": max(bests, default=None), "final_test_acc": max(finals, default=None),
               "duration_s": round(time.time() - started, 3), "run_dir": sweep_dir}  # fmt: skip
    return notify.payload(summary, status)
