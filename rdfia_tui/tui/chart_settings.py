"""The chart options a person keeps from one session to the next (palette, smoothing, band), in a small JSON file.

The file is ``$XDG_CONFIG_HOME/rdfia-tui/charts.json`` (``~/.config/rdfia-tui/charts.json`` without
XDG_CONFIG_HOME), written atomically. A missing file means the defaults; an unreadable one means the
defaults plus one note saying so; each unknown key or invalid value is one note naming it and the value
used instead (the valid ones are kept). Never a crash.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rdfia_tui.engine.errors import RecordWriteError
from rdfia_tui.engine.runs.files import atomic_write
from rdfia_tui.engine.smoothing import SMOOTHERS, Smoothing
from rdfia_tui.tui.widgets.chart_palettes import PALETTES

SETTINGS_FILE = "charts.json"
VERSION = 1


@dataclass(frozen=True)
class ChartSettings:
    """``palette``: a key of PALETTES; ``band``: draw the min/max of the smoothing window around a smoothed curve."""

    palette: str = "default"
    smoothing: Smoothing = field(default_factory=Smoothing)
    band: bool = False


def settings_path() -> Path:
    """Where the chart settings live: under $XDG_CONFIG_HOME (or ~/.config) / rdfia-tui."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "rdfia-tui" / SETTINGS_FILE


def load_settings(path: Path | None = None) -> tuple[ChartSettings, list[str]]:
    """The saved settings and the notes on what in them was unusable: nothing when there is no file yet (the
    defaults); one note when the file cannot be read (the defaults); one note naming every unknown key and invalid
    value with the value used instead (the valid ones are kept): one line, so a 3-row event log still shows it whole."""
    path = path or settings_path()
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ChartSettings(), []
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return ChartSettings(), [f"chart settings {path} unreadable ({exc}); using the defaults (a change of option rewrites it)"]
    if not isinstance(doc, dict):
        return ChartSettings(), [f"chart settings {path}: not a JSON object; using the defaults (a change of option rewrites it)"]
    problems: list[str] = []
    settings = _from_doc(doc, problems.append)
    if not problems:
        return settings, []
    return settings, [f"chart settings {path}: {'; '.join(problems)} (a change of option rewrites the file)"]


def save_settings(settings: ChartSettings, path: Path | None = None) -> str | None:
    """Write ``settings``; None, or a note saying why they could not be kept."""
    path = path or settings_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json.dumps({"version": VERSION, **asdict(settings)}, indent=2) + "\n")
    except (OSError, RecordWriteError) as exc:
        return f"chart settings not saved to {path}: {exc}"
    return None


def _from_doc(doc: dict, note: Callable[[str], None]) -> ChartSettings:
    """The settings in ``doc``, each unusable value replaced by its default and said through ``note``."""
    defaults = ChartSettings()
    for key in doc.keys() - {"version", *FIELDS}:
        note(f"unknown key {key!r} ignored")
    raw = doc.get("smoothing", {})
    if not isinstance(raw, dict):
        note(f"smoothing {raw!r} is not an object; using {asdict(defaults.smoothing)}")
        raw = {}
    for key in raw.keys() - SMOOTHING_FIELDS.keys():
        note(f"unknown key 'smoothing.{key}' ignored")
    old = defaults.smoothing
    smoothing = {k: _checked(f"smoothing.{k}", raw, k, getattr(old, k), check, note) for k, check in SMOOTHING_FIELDS.items()}
    top = {k: _checked(k, doc, k, getattr(defaults, k), valid, note) for k, valid in FIELDS.items() if k != "smoothing"}
    return ChartSettings(smoothing=Smoothing(**smoothing), **top)


Check = tuple[Callable[[object], bool], str]  # (is the value usable, what a usable one is)


def _checked(name: str, doc: dict, key: str, default: object, valid: Check, note: Callable[[str], None]) -> object:
    """``doc[key]`` when ``valid`` says it is usable; else ``default``, and a note naming both."""
    if key not in doc:
        return default
    test, what = valid
    if test(doc[key]):
        return doc[key]
    note(f"{name} {doc[key]!r} is not {what}; using {json.dumps(default)}")  # as the file spells it: false, not False
    return default


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


FIELDS: dict[str, Check] = {
    "palette": (lambda v: isinstance(v, str) and v in PALETTES, f"one of {', '.join(PALETTES)}"),
    "smoothing": (lambda v: isinstance(v, dict), "an object"),
    "band": (lambda v: isinstance(v, bool), "true or false"),
}
SMOOTHING_FIELDS: dict[str, Check] = {
    "mode": (lambda v: isinstance(v, str) and v in SMOOTHERS, f"one of {', '.join(SMOOTHERS)}"),
    "weight": (lambda v: _number(v) and 0.0 <= v < 1.0, "a number in [0, 1)"),
    "window": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1, "a whole number of at least 1"),
}
