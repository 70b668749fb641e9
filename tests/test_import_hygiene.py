"""The engine never loads textual, rich or plotext; the CLI's --help never loads torch."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import rdfia_tui.engine

SCREEN_MODULES = ("textual", "rich", "plotext", "textual_plotext")


def _engine_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(rdfia_tui.engine.__path__, "rdfia_tui.engine."))


def _loaded_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\nprint('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return {line.split(".")[0] for line in out.stdout.splitlines()}


def test_engine_lists_its_modules() -> None:
    modules = _engine_modules()
    assert "rdfia_tui.engine.training" in modules and "rdfia_tui.engine.data.vision" in modules


def test_engine_modules_do_not_load_screen_libraries() -> None:
    imports = "\n".join(f"import {m}" for m in _engine_modules())
    loaded = _loaded_after(imports)
    assert "torch" in loaded  # the imports really ran
    assert not loaded & set(SCREEN_MODULES)


def test_a_whole_fit_loads_no_screen_library(tmp_path) -> None:
    code = (
        "from rdfia_tui.engine.presets import load_preset\n"
        "from rdfia_tui.engine.config import apply_overrides\n"
        "from rdfia_tui.engine.training import fit\n"
        f"fit(apply_overrides(load_preset('circles-mlp'), ['train.epochs=1']), runs_dir={str(tmp_path)!r})"
    )
    assert not _loaded_after(code) & set(SCREEN_MODULES)


def test_cli_parser_does_not_import_torch() -> None:
    loaded = _loaded_after("from rdfia_tui.cli.main import build_parser\nbuild_parser().format_help()")
    assert "torch" not in loaded


def test_config_and_presets_do_not_import_torch() -> None:
    loaded = _loaded_after("from rdfia_tui.engine.presets import list_presets\nlist_presets()")
    assert "torch" not in loaded
