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


def test_commands_that_train_nothing_do_not_import_torch(tmp_path) -> None:
    """presets, runs and schedule answer at once: the command table imports no training module (torch is ~1 s)."""
    code = (
        "import sys\n"
        "from rdfia_tui.cli.main import main\n"
        f"for argv in (['presets'], ['runs', '--runs-dir', {str(tmp_path)!r}], ['schedule', 'circles-mlp']):\n"
        "    main(argv)\n"
    )
    assert "torch" not in _loaded_after(code)


def test_config_and_presets_do_not_import_torch() -> None:
    loaded = _loaded_after("from rdfia_tui.engine.presets import list_presets\nlist_presets()")
    assert "torch" not in loaded


def test_the_console_draws_its_first_frame_before_torch_is_imported(tmp_path) -> None:
    """Textual's Ready event comes once the first frame is on screen; torch must not be loaded by then,
    nor once the layer table is shown (it is planned by arithmetic, not by building the network)."""
    code = (
        "import asyncio, sys\n"
        "from rdfia_tui.tui.app import RdfiaApp\n"
        "from rdfia_tui.tui.options import AppOptions\n"
        "seen = {}\n"
        "import pathlib, rdfia_tui.tui.app as a\n"
        "class Probe(RdfiaApp):\n"
        "    CSS_PATH = str(pathlib.Path(a.__file__).with_name('app.tcss'))\n"
        "    def on_ready(self):\n"
        "        seen['torch_at_first_frame'] = 'torch' in sys.modules\n"
        f"app = Probe(AppOptions(runs_dir={str(tmp_path)!r}))\n"
        "async def main():\n"
        "    async with app.run_test(size=(120, 40)) as pilot:\n"
        "        for _ in range(200):\n"
        "            if 'torch_at_first_frame' in seen and 'total parameters' in app.main.layer_view.message:\n"
        "                break\n"
        "            await pilot.pause(0.05)\n"
        "asyncio.run(main())\n"
        "print('first-frame-torch', seen['torch_at_first_frame'])\n"
        "print('torch-later', 'torch' in sys.modules)\n"
    )
    script = tmp_path / "probe.py"  # Textual reads an App subclass's source file, so not python -c
    script.write_text(code)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=True).stdout
    assert "first-frame-torch False" in out
    assert "torch-later False" in out  # the layer table is planned without torch: only a run imports it
