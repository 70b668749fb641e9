"""The wheel carries every package and the presets, so a non-editable install finds them."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _declared_packages() -> set[str]:
    with open(REPO / "pyproject.toml", "rb") as fh:
        return set(tomllib.load(fh)["tool"]["setuptools"]["packages"])


def test_every_package_folder_is_declared() -> None:
    found = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "rdfia_tui").rglob("__init__.py")}
    assert found <= _declared_packages(), f"add to [tool.setuptools] packages: {sorted(found - _declared_packages())}"


def test_wheel_contains_presets_as_package_data(tmp_path: Path) -> None:
    pytest.importorskip("setuptools")
    out = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    (wheel,) = tmp_path.glob("rdfia_tui-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"rdfia_tui/presets/{p.name}" for p in (REPO / "presets").glob("*.toml")}
    assert shipped and shipped <= names
    assert "rdfia_tui/engine/training.py" in names


def test_installed_presets_resolve_through_the_package() -> None:
    from importlib import resources

    from rdfia_tui.engine.presets import preset_names

    folder = resources.files("rdfia_tui.presets")
    assert {p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")} == set(preset_names())
    assert {"circles-mlp", "digits-mlp", "mnist-mlp", "cifar10-convnet"} <= set(preset_names())
