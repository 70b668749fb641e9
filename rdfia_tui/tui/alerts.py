"""The console's word when a run ends: the terminal's bell and a desktop notification (engine.notify's OSC 9 / 777),
written through Textual's driver as App.bell() writes its BEL, so they never land inside a frame being drawn."""

from __future__ import annotations

import time
from datetime import datetime

from textual.app import App

from rdfia_tui.engine.events import RunFinished
from rdfia_tui.engine.notify import alerts_on, desktop_notification, one_line, payload

RECENT_S = 30.0  # a run that ended longer ago is history being replayed (attach to a finished run): no alert


def ended_recently(event: RunFinished, now: float | None = None) -> bool:
    """Whether the run ended within RECENT_S seconds (summary.json's finished_at); a summary without it counts as now."""
    stamp = event.summary.get("finished_at")
    if not stamp:
        return True
    try:
        finished = datetime.strptime(str(stamp), "%Y-%m-%dT%H:%M:%S%z").timestamp()
    except ValueError:
        return True
    return (time.time() if now is None else now) - finished <= RECENT_S


def alert_run_end(app: App, event: RunFinished) -> bool:
    """Ring and notify for ``event`` unless $RDFIA_TUI_NO_ALERT says not to or it is replayed history; whether it did.
    A headless app (the tests) and the browser console (textual-serve) get the bell call only."""
    if not alerts_on() or not ended_recently(event):
        return False
    app.bell()
    driver = app._driver  # Textual's own bell writes through it: the one safe way to put bytes between frames
    if driver is not None and not app.is_headless and not driver.is_web:
        driver.write(desktop_notification(one_line(payload(event.summary, event.status, event.message))))
    return True
