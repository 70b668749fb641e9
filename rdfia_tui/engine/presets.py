"""Finding presets: a shipped name, or a path to a .toml file."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from rdfia_tui.engine import config as config_mod
from rdfia_tui.engine.config import RunConfig
from rdfia_tui.engine.errors import ConfigError
from rdfia_tui.engine.registry import did_you_mean

PACKAGE = "rdfia_tui.presets"


@dataclass(frozen=True)
class PresetInfo:
    name: str
    description: str
    path: str


def _shipped() -> dict[str, resources.abc.Traversable]:
    folder = resources.files(PACKAGE)
    return {f.name.removesuffix(".toml"): f for f in folder.iterdir() if f.name.endswith(".toml")}


def preset_names() -> list[str]:
    return sorted(_shipped())


def load_preset(name_or_path: str) -> RunConfig:
    """A shipped preset by name, or any .toml file by path."""
    shipped = _shipped()
    if name_or_path in shipped:
        entry = shipped[name_or_path]
        return config_mod.loads(entry.read_text(encoding="utf-8"), source=f"preset {name_or_path}", default_name=name_or_path)
    path = Path(name_or_path).expanduser()
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise ConfigError(f"preset file {path} does not exist; give a shipped preset name or an existing .toml file")
        return config_mod.load(path)
    if (resources.files(PACKAGE) / "sweeps" / f"{name_or_path}.toml").is_file():
        raise ConfigError(f"{name_or_path!r} is a sweep, not a preset; run it with 'rdfia-tui sweep {name_or_path}'")
    raise ConfigError(
        f"no preset named {name_or_path!r}{did_you_mean(name_or_path, list(shipped))} "
        "(run 'rdfia-tui presets' to list them, or give a path to a .toml file)"
    )


def list_presets() -> list[PresetInfo]:
    """Every shipped preset with its description (an unreadable one is reported in place)."""
    found = []
    for name, entry in sorted(_shipped().items()):
        try:
            cfg = config_mod.loads(entry.read_text(encoding="utf-8"), source=name, default_name=name)
            found.append(PresetInfo(cfg.name, cfg.description, str(entry)))
        except ConfigError as exc:
            found.append(PresetInfo(name, f"(invalid: {exc})", str(entry)))
    return found
