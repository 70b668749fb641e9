"""Presets: finding one (a shipped name, or a path to a .toml file), reading it, resolving its ``base``
(the preset it changes, followed until a preset has none) and validating it into a RunConfig."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from rdfia_tui.engine import config as config_mod
from rdfia_tui.engine.config import BASE_KEY, RunConfig
from rdfia_tui.engine.errors import ConfigError
from rdfia_tui.engine.preset_base import as_preset
from rdfia_tui.engine.registry import did_you_mean

PACKAGE = "rdfia_tui.presets"


@dataclass(frozen=True)
class PresetInfo:
    """A shipped preset as ``rdfia-tui presets`` lists it: name, description (or "(invalid: …)") and file path."""

    name: str
    description: str
    path: str


@dataclass(frozen=True)
class PresetFile:
    """A preset's text and where it came from: what messages call it, and where its relative ``base`` paths start."""

    label: str  # 'preset NAME' for a shipped one, the path for a file
    default_name: str  # the name when the file sets none
    text: str
    folder: Path | None  # where a relative ``base`` path is looked for
    identity: str  # the same for every way of naming one file (a preset that is its own base is caught by it)

    def load(self) -> RunConfig:
        """The validated config; raises ConfigError (one line, beginning with the label)."""
        return loads(self.text, source=self.label, default_name=self.default_name, folder=self.folder)


def _shipped() -> dict[str, resources.abc.Traversable]:
    folder = resources.files(PACKAGE)
    return {f.name.removesuffix(".toml"): f for f in folder.iterdir() if f.name.endswith(".toml")}


def preset_names() -> list[str]:
    """The shipped presets' names (their .toml stems), sorted."""
    return sorted(_shipped())


def _shipped_file(name: str, entry: resources.abc.Traversable, label: str) -> PresetFile:
    on_disk = entry if isinstance(entry, Path) else None
    return PresetFile(
        label=label,
        default_name=name,
        text=entry.read_text(encoding="utf-8"),
        folder=on_disk.parent if on_disk else None,
        identity=str(on_disk.resolve()) if on_disk else f"preset {name}",
    )


def _user_file(path: Path) -> PresetFile:
    return PresetFile(str(path), path.stem, config_mod.read_toml_text(path), path.parent, str(path.resolve()))


def _expanded(name_or_path: str) -> Path:
    try:
        return Path(name_or_path).expanduser()
    except RuntimeError:  # ~user that does not exist
        raise ConfigError(f"cannot find the home folder in {name_or_path!r}; write the full path to the .toml file") from None


def _safely(check: Callable[[], bool]) -> bool:
    """``check()`` (a path's ``is_file`` or ``exists``), False for a name the system cannot look up (too long, a NUL)."""
    try:
        return check()
    except (OSError, ValueError):
        return False


def find_preset(name_or_path: str, folder: Path | None = None) -> PresetFile:
    """A shipped preset by name, or a .toml file by path (a relative one looked for in ``folder`` first, when given).

    Raises ConfigError (one line, saying what to give instead) for a missing file, a sweep's name or an unknown name.
    """
    local = folder / _expanded(name_or_path) if folder is not None else None
    if local is not None and _safely(local.is_file):
        return _user_file(local)
    shipped = _shipped()
    if name_or_path in shipped:
        return _shipped_file(name_or_path, shipped[name_or_path], f"preset {name_or_path}")
    path = local or _expanded(name_or_path)
    if _safely(path.is_dir):
        raise ConfigError(f"{path} is a folder, not a preset file; give a shipped preset name or a .toml file")
    if path.suffix == ".toml" or _safely(path.exists):
        if not _safely(path.is_file):
            raise ConfigError(f"preset file {path} does not exist; give a shipped preset name or an existing .toml file")
        return _user_file(path)
    toml = path.with_name(path.name + ".toml")
    if _safely(toml.is_file):
        raise ConfigError(f"no preset named {name_or_path!r}; did you mean the file '{toml}'? (a preset file is named with its .toml)")
    if _safely((resources.files(PACKAGE) / "sweeps" / f"{name_or_path}.toml").is_file):
        raise ConfigError(f"{name_or_path!r} is a sweep, not a preset; run it with 'rdfia-tui sweep {name_or_path}'")
    raise ConfigError(
        f"no preset named {name_or_path!r}{did_you_mean(name_or_path, list(shipped))} "
        "(run 'rdfia-tui presets' to list them, or give a path to a .toml file)"
    )


def load_preset(name_or_path: str) -> RunConfig:
    """A shipped preset by name, or any .toml file by path, with its ``base`` (if any) resolved.

    Raises ConfigError (one line) when it cannot be found, read or validated.
    """
    return find_preset(name_or_path).load()


def list_presets() -> list[PresetInfo]:
    """Every shipped preset with its description (an unreadable one is reported in place)."""
    found = []
    for name, entry in sorted(_shipped().items()):
        try:
            cfg = _shipped_file(name, entry, name).load()
            found.append(PresetInfo(cfg.name, cfg.description, str(entry)))
        except ConfigError as exc:
            found.append(PresetInfo(name, f"(invalid: {exc})", str(entry)))
    return found


@dataclass(frozen=True)
class _Link:
    """One preset of a chain of bases: where it came from, and its document without ``base``."""

    found: PresetFile
    raw: dict[str, Any]


def _written(value: Any, where: str) -> str | None:
    """The base a document names, None when it names none; an empty or non-string one is a ConfigError."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a preset name or a .toml path, got {value!r}", key=BASE_KEY)
    if not value.strip():
        raise ConfigError(f"{where}: empty; name the preset this one changes, or remove the key", key=BASE_KEY)
    return value


def _found(written: str, folder: Path | None, where: str) -> PresetFile:
    try:
        return find_preset(written, folder)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}", key=exc.key) from None


def _document(found: PresetFile, where: str) -> dict[str, Any]:
    try:
        return config_mod.parse_toml(found.text, source=found.label)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _chain(written: str | None, folder: Path | None, key: str) -> list[_Link]:
    """The presets ``written`` stands on, nearest first: each one's own ``base`` is followed until a preset has none."""
    links: list[_Link] = []
    names, where = [written], key
    seen: set[str] = set()
    while written is not None:
        found = _found(written, folder, where)
        if found.identity in seen:
            raise ConfigError(f"{key}: {' -> '.join(names)} is a cycle of bases; remove 'base' from one of these presets", key=key)
        seen.add(found.identity)
        raw = _document(found, where)
        where = f"{key}: {found.label}: {BASE_KEY}"
        written, folder = _written(raw.pop(BASE_KEY, None), where), found.folder
        links.append(_Link(found, raw))
        names.append(str(written))
    return links


def base_config(written: Any, *, folder: Path | None, key: str = BASE_KEY) -> RunConfig | None:
    """The validated preset ``written`` names (a shipped name, or a .toml path relative to ``folder``); None for None.

    Raises ConfigError (one line, beginning with ``key``) when ``written`` is empty, not a string or names no preset, when
    the chain of bases leads back to a preset already in it, or when a preset of the chain is invalid.
    """
    cfg: RunConfig | None = None
    for link in reversed(_chain(_written(written, key), folder, key)):
        name = link.found.default_name
        document = link.raw if cfg is None else as_preset(cfg, link.raw, default_name=name)
        try:
            cfg = config_mod.from_mapping(document, default_name=name)
        except ConfigError as exc:
            raise ConfigError(f"{key}: {link.found.label}: {exc}", key=exc.key) from None
    return cfg


def resolve(raw: Mapping[str, Any], *, default_name: str, folder: Path | None) -> dict[str, Any]:
    """A preset document with its ``base`` preset's values under its own and no ``base`` key left.

    Raises ConfigError (one line) as ``base_config`` does.
    """
    child = {top: value for top, value in raw.items() if top != BASE_KEY}
    base = base_config(raw.get(BASE_KEY), folder=folder)
    return as_preset(base, child, default_name=default_name) if base is not None else child


def loads(text: str, *, source: str = "<string>", default_name: str = "unnamed", folder: Path | None = None) -> RunConfig:
    """Parse a preset's TOML text into a validated RunConfig, its ``base`` resolved (a relative path found in ``folder``).

    Raises ConfigError (one line, beginning with ``source``) for invalid TOML, a base that cannot be used, or
    anything ``config.from_mapping`` refuses.
    """
    raw = config_mod.parse_toml(text, source=source)
    try:
        return config_mod.from_mapping(resolve(raw, default_name=default_name, folder=folder), default_name=default_name)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}", key=exc.key) from None


def load(path: Path) -> RunConfig:
    """Read a preset file (UTF-8, a byte-order mark allowed); a relative ``base`` is found next to it.

    Raises ConfigError (one line) for an unreadable or invalid file, or a base that cannot be used.
    """
    return loads(config_mod.read_toml_text(path), source=str(path), default_name=path.stem, folder=path.parent)
