"""Saying that a run has ended: a web hook (a JSON POST, or apprise for other schemes) and the terminal's bell with a
desktop notification (OSC 9 and OSC 777). Neither can fail a run: a problem comes back as one line to show as a note.

Without torch, rich or textual: the headless command, the sweep and the console all use it.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import unquote, urlsplit

from rdfia_tui.engine.errors import ConfigError
from rdfia_tui.engine.extras import install_line

NOTIFY_ENV = "RDFIA_TUI_NOTIFY"  # a web hook URL for every run started from here (the console's runs inherit it)
NO_ALERT_ENV = "RDFIA_TUI_NO_ALERT"  # set (to anything but "" or "0"): no bell and no desktop notification
TIMEOUT_S = 5.0
HTTP = ("http", "https")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # an ESC or BEL in a preset name must not end the escape sequence early
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")  # never in a URL (urlsplit would drop some silently)


def check_notify_url(url: str, source: str = "--notify") -> str:
    """``url`` when it can be notified: http(s)://host… (a valid port, no spaces or control characters), or
    SCHEME://… that apprise knows (Apprise.instantiate). Raises ConfigError (one line, exit 2) for anything else,
    including another scheme without apprise installed, so a typo is said before the run, not after it."""
    url = url.strip()
    scheme = _parsed_scheme(url)
    if scheme in HTTP:
        return url
    if scheme and "://" in url:
        return _check_apprise_url(url, source)
    raise ConfigError(f"{source}: got {url!r}; give a web hook URL such as https://example.org/hook (or an apprise URL, e.g. ntfy://topic)")


def _parsed_scheme(url: str) -> str:
    """The scheme of ``url`` when it parses (an http(s) URL also needs a host and a valid port), else ""."""
    if not url or _SPACE_OR_CONTROL.search(url):
        return ""
    try:
        parts = urlsplit(url)  # ValueError: an unclosed or invalid IPv6 bracket
        _ = parts.port  # ValueError: a port that is not a number from 0 to 65535
    except ValueError:
        return ""
    if parts.scheme in HTTP and (not _good_host(parts.hostname or "") or "@" in parts.netloc):
        return ""  # user:password@ is not sent by urllib: it would take it for part of the host
    return parts.scheme


def _good_host(host: str) -> bool:
    """A host http.client will take: present, and no percent-escape in a name (``ex%20ample``, ``h%00``: http.client
    refuses the decoded space or NUL only when it sends); an IPv6 literal may carry a %zone, itself without spaces or
    control characters once decoded (``[::1%00]``)."""
    if not host or ("%" in host and ":" not in host):
        return False
    return not _SPACE_OR_CONTROL.search(unquote(host))


def _check_apprise_url(url: str, source: str) -> str:
    try:
        import apprise
    except ImportError:
        raise ConfigError(f"{source}: {url!r} is not http(s); other schemes need apprise: {install_line('notify')}") from None
    if apprise.Apprise.instantiate(url) is None:
        raise ConfigError(f"{source}: apprise does not know {url!r}; see https://github.com/caronc/apprise/wiki for its URLs, "
                          "or give a web hook URL such as https://example.org/hook")  # fmt: skip
    return url


def notify_url(explicit: str | None) -> str | None:
    """--notify, else $RDFIA_TUI_NOTIFY, checked (ConfigError when malformed); None when neither is set."""
    if explicit:
        return check_notify_url(explicit)
    from_env = os.environ.get(NOTIFY_ENV, "").strip()
    return check_notify_url(from_env, NOTIFY_ENV) if from_env else None


def payload(summary: Mapping[str, Any], status: str, message: str = "") -> dict[str, Any]:
    """The JSON a web hook receives: preset, status, best and final test accuracy (0-1 fractions, None when not
    measured), duration in seconds, the run folder (an absolute path), and the message (why it failed, diverged or
    stopped; empty when it completed)."""
    return {
        "preset": summary.get("preset"),
        "status": str(status),
        "best_test_acc": summary.get("best_test_acc"),
        "final_test_acc": summary.get("final_test_acc"),
        "duration_s": summary.get("duration_s"),
        "run_dir": _absolute(summary.get("run_dir")),
        "message": message,
    }


def _absolute(folder: object) -> str:
    """The run (or sweep) folder as an absolute path, of use to a receiver on another machine; "" when there is none."""
    return str(Path(str(folder)).resolve()) if folder else ""


def one_line(body: Mapping[str, Any]) -> str:
    """The payload in one line, for a desktop notification or an apprise message: "circles-mlp completed: 99.0% test"."""
    final = body.get("final_test_acc")
    accuracy = f": {100 * final:.1f}% test" if isinstance(final, int | float) else ""
    reason = f" ({body['message']})" if body.get("message") and body.get("status") != "completed" else ""
    return f"{body.get('preset')} {body.get('status')}{accuracy}{reason}"


def post(url: str, body: Mapping[str, Any], timeout_s: float = TIMEOUT_S) -> str | None:
    """Send ``body`` to ``url``: a JSON POST for http(s), apprise for another scheme. None when it was delivered,
    else one line saying why not (nothing is raised: a web hook never fails a run)."""
    try:
        if _parsed_scheme(url) in HTTP:
            return _post_json(url, body, timeout_s)
        return _apprise(url, body)
    except Exception as exc:  # whatever the library raises (http.client.InvalidURL, an apprise plugin's error): a note
        return f"could not notify {url}: {type(exc).__name__}: {exc}"


def _post_json(url: str, body: Mapping[str, Any], timeout_s: float) -> str | None:
    import urllib.error
    import urllib.request

    data = json.dumps(body, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as answer:  # http(s) only: post() checked the scheme
            answer.read()
    except urllib.error.HTTPError as exc:
        return f"could not notify {url}: HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"could not notify {url}: {reason}"
    return None


def _apprise(url: str, body: Mapping[str, Any]) -> str | None:
    try:
        import apprise
    except ImportError:
        return f"could not notify {url}: other schemes than http(s) need apprise: {install_line('notify')}"
    sender = apprise.Apprise()
    if not sender.add(url):
        return f"could not notify {url}: apprise does not know this URL"
    return None if sender.notify(title="rdfia-tui", body=one_line(body)) else f"could not notify {url}: apprise could not deliver it"


# ---- the terminal -----------------------------------------------------------------------------------
def alerts_on() -> bool:
    """False when $RDFIA_TUI_NO_ALERT turns the bell and the desktop notification off."""
    return os.environ.get(NO_ALERT_ENV, "").strip() in ("", "0")


def desktop_notification(text: str) -> str:
    """A desktop notification saying ``text`` in the two common spellings: OSC 9 (iTerm2, Windows Terminal, kitty,
    WezTerm, ghostty) and OSC 777 (VTE terminals, urxvt), each ended with BEL; terminals ignore the one they do not
    know. Control characters are dropped from ``text``, and ';' (OSC 777's separator) becomes ','."""
    safe = _CONTROL.sub(" ", text).replace(";", ",")
    return f"\x1b]9;{safe}\a\x1b]777;notify;rdfia-tui;{safe}\a"


def terminal_alert(text: str) -> str:
    """The bell, then :func:`desktop_notification`."""
    return "\a" + desktop_notification(text)


def alert_terminal(text: str, stream: TextIO | None = None) -> bool:
    """Write :func:`terminal_alert` to ``stream`` (stderr by default) when it is a terminal and alerts are on; whether it did."""
    stream = stream or sys.stderr
    try:
        if not (alerts_on() and stream.isatty()):
            return False
        stream.write(terminal_alert(text))
        stream.flush()
    except (OSError, ValueError):  # a terminal gone away: nothing to tell
        return False
    return True
