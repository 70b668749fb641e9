"""Where datasets live: --data-root, then RDFIA_TUI_DATA, then a per-user cache folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ENV_DATA = "RDFIA_TUI_DATA"


def user_cache_dir() -> Path:
    """The per-user cache folder ``rdfia-tui`` under %LOCALAPPDATA% (Windows), ~/Library/Caches (macOS) or $XDG_CACHE_HOME
    (else ~/.cache); not created here."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "rdfia-tui"


def resolve_data_root(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Where datasets live: ``explicit`` (--data-root), else $RDFIA_TUI_DATA, else <user cache>/data; ``~`` expanded, not created."""
    if explicit:
        return Path(explicit).expanduser()
    if os.environ.get(ENV_DATA):
        return Path(os.environ[ENV_DATA]).expanduser()
    return user_cache_dir() / "data"
