"""The chart options a person keeps from one session to the next (palette, smoothing, band), in a small JSON file.

The file is ``$XDG_CONFIG_HOME/rdfia-tui/charts.json`` (``~/.config/rdfia-tui/charts.json`` without
XDG_CONFIG_HOME), written atomically. A missing file means the defaults; an unreadable or wrong one
means the defaults plus one note saying so, never a crash.
"""

from __future__ import annotations

import json
import os
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


def load_settings(path: Path | None = None) -> tuple[ChartSettings, str | None]:
    """The saved settings and None; the defaults and None when there are none yet; the defaults and a note
    (what is wrong, that the defaults are used) when the file cannot be read or makes no sense."""
    path = path or settings_path()
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ChartSettings(), None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return ChartSettings(), f"chart settings {path} unreadable ({exc}); using the defaults (a change of option rewrites it)"
    try:
        return _from_doc(doc), None
    except (TypeError, ValueError, KeyError) as exc:
        return ChartSettings(), f"chart settings {path}: {exc}; using the defaults (a change of option rewrites it)"


def save_settings(settings: ChartSettings, path: Path | None = None) -> str | None:
    """Write ``settings``; None, or a note saying why they could not be kept."""
    path = path or settings_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json.dumps({"version": VERSION, **asdict(settings)}, indent=2) + "\n")
    except (OSError, RecordWriteError) as exc:
        return f"chart settings not saved to {path}: {exc}"
    return None


def _from_doc(doc: object) -> ChartSettings:
    if not isinstance(doc, dict):
        raise TypeError("not a JSON object")
    palette = doc.get("palette", "default")
    if palette not in PALETTES:
        raise ValueError(f"unknown palette {palette!r} (known: {', '.join(PALETTES)})")
    raw = doc.get("smoothing", {})
    if not isinstance(raw, dict):
        raise TypeError("'smoothing' is not an object")
    defaults = Smoothing()
    smoothing = Smoothing(
        mode=str(raw.get("mode", defaults.mode)),
        weight=float(raw.get("weight", defaults.weight)),
        window=int(raw.get("window", defaults.window)),
    )
    if smoothing.mode not in SMOOTHERS:
        raise ValueError(f"unknown smoothing {smoothing.mode!r} (known: {', '.join(SMOOTHERS)})")
    if not (0.0 <= smoothing.weight < 1.0 and smoothing.window >= 1):
        raise ValueError("smoothing weight must be in [0, 1) and window at least 1")
    return ChartSettings(palette=palette, smoothing=smoothing, band=bool(doc.get("band", False)))
