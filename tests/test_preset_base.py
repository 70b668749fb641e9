"""``base = "other-preset"``: a preset (or a sweep file) that says only what it changes."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path
from typing import Any

import pytest

from rdfia_tui.engine import preset_base
from rdfia_tui.engine.config import SECTIONS, RunConfig, dumps, with_values
from rdfia_tui.engine.errors import ConfigError
from rdfia_tui.engine.presets import list_presets, load, load_preset, loads, preset_names
from rdfia_tui.engine.sweep.sources import load_source
from tests.helpers import assert_clean_error, rdfia, run_folder_from

REPO = Path(__file__).resolve().parents[1]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def flat(cfg: RunConfig) -> dict[str, Any]:
    data = cfg.to_dict()
    return {f"{section}.{key}": value for section, table in data.items() if isinstance(table, dict) for key, value in table.items()}


def refused(load_it: Any, *fragments: str) -> str:
    """The one-line ConfigError ``load_it()`` raises, holding every fragment."""
    with pytest.raises(ConfigError) as info:
        load_it()
    message = str(info.value)
    assert "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message


# --------------------------------------------------------------------------- the mechanism


def test_a_child_changes_one_key_and_keeps_every_other(tmp_path: Path) -> None:
    child = load(write(tmp_path / "fast.toml", 'name = "fast"\ndescription = "lr 1"\nbase = "circles-mlp"\n[optim]\nlr = 1.0\n'))
    expected = with_values(load_preset("circles-mlp"), {"optim.lr": 1.0})
    assert child == dataclasses.replace(expected, name="fast", description="lr 1")


def test_name_and_description_are_the_childs_own(tmp_path: Path) -> None:
    cfg = load(write(tmp_path / "mine.toml", 'base = "circles-mlp"\n[optim]\nlr = 1.0\n[train]\nepochs = 2\n'))
    assert cfg.name == "mine"  # the file's stem, as for any preset without a name
    assert cfg.description == "circles-mlp with optim.lr, train.epochs changed"
    assert load(write(tmp_path / "same.toml", 'base = "circles-mlp"\n')).description == "same as circles-mlp"


def test_a_chain_of_bases_resolves_from_the_bottom(tmp_path: Path) -> None:
    write(tmp_path / "a.toml", 'base = "circles-mlp"\n[train]\nepochs = 3\n[optim]\nlr = 0.5\n')
    cfg = load(write(tmp_path / "b.toml", 'base = "a.toml"\n[optim]\nlr = 1.0\n'))
    assert (cfg.train.epochs, cfg.optim.lr, cfg.model.hidden) == (3, 1.0, load_preset("circles-mlp").model.hidden)
    assert cfg.description == "a with optim.lr changed"


def test_a_path_base_is_found_next_to_the_child_not_in_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "common.toml", 'base = "circles-mlp"\n[train]\nepochs = 4\n')
    child = write(tmp_path / "labs" / "child.toml", 'base = "../common.toml"\n[optim]\nlr = 2.0\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    cfg = load_preset(str(child))
    assert (cfg.train.epochs, cfg.optim.lr) == (4, 2.0)


def test_a_cycle_is_refused_in_one_line(tmp_path: Path) -> None:
    write(tmp_path / "a.toml", 'base = "b.toml"\n')
    write(tmp_path / "b.toml", 'base = "a.toml"\n')
    refused(lambda: load(tmp_path / "a.toml"), "a.toml -> b.toml", "cycle", "remove 'base'")
    write(tmp_path / "self.toml", 'base = "self.toml"\n')
    refused(lambda: load(tmp_path / "self.toml"), "self.toml -> self.toml", "cycle")


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ('base = "circles-mlpp"\n', ["base: no preset named 'circles-mlpp'", "did you mean 'circles-mlp'?"]),
        ("base = 3\n", ["base: expected a preset name or a .toml path, got 3"]),
        ('base = ["circles-mlp"]\n', ["base: expected a preset name or a .toml path"]),
        ('base = "nowhere.toml"\n', ["base: preset file", "nowhere.toml does not exist"]),
        ('base = "cifar10-lr-batch"\n', ["base:", "is a sweep, not a preset"]),
        ('base = "circles-mlp"\n[optim]\nlr = "fast"\n', ["optim.lr"]),
        ('bsae = "circles-mlp"\n', ["unknown key 'bsae'", "did you mean 'base'?"]),
        ('base = ""\n', ["base: empty; name the preset this one changes, or remove the key"]),
        ('base = "  "\n', ["base: empty"]),
        ('base = "Circles-MLP"\n', ["no preset named 'Circles-MLP'", "did you mean 'circles-mlp'?"]),
    ],
)
def test_a_bad_base_is_one_config_error_line(tmp_path: Path, text: str, fragments: list[str]) -> None:
    path = write(tmp_path / "bad.toml", text)
    refused(lambda: load(path), str(path), *fragments)


def test_a_generated_description_names_only_the_keys_that_differ(tmp_path: Path) -> None:
    lr = load_preset("circles-mlp").optim.lr
    cfg = load(write(tmp_path / "d.toml", f'base = "circles-mlp"\n[optim]\nlr = {lr}\n[train]\nepochs = 2\n'))
    assert cfg.description == "circles-mlp with train.epochs changed"
    assert load(write(tmp_path / "e.toml", f'base = "circles-mlp"\n[optim]\nlr = {lr}\n')).description == "same as circles-mlp"


def test_a_base_that_is_a_folder_or_lacks_its_suffix_says_so(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    write(tmp_path / "fast.toml", "[optim]\nlr = 1.0\n")
    refused(lambda: load(write(tmp_path / "a.toml", 'base = "sub"\n')), "base:", "is a folder, not a preset file")
    refused(lambda: load(write(tmp_path / "b.toml", 'base = "fast"\n')), "base:", "did you mean the file", "fast.toml")
    refused(lambda: load_preset(str(tmp_path / "fast")), "did you mean the file", "fast.toml")


def test_an_empty_sweep_base_is_refused_too(tmp_path: Path) -> None:
    path = write(tmp_path / "s.toml", '[sweep]\nbase = ""\n[grid]\n"optim.lr" = [0.1]\n')
    refused(lambda: load_source(str(path)), "sweep.base: empty")


def test_an_error_inside_the_base_names_the_base_file(tmp_path: Path) -> None:
    write(tmp_path / "broken.toml", "[optim]\nlr = = 1\n")
    write(tmp_path / "wrong.toml", "[optim]\nlrr = 1\n")
    write(tmp_path / "middle.toml", 'base = "wrong.toml"\n')
    refused(lambda: load(write(tmp_path / "a.toml", 'base = "broken.toml"\n')), "base:", "broken.toml: invalid TOML")
    refused(lambda: load(write(tmp_path / "b.toml", 'base = "middle.toml"\n')), "base:", "wrong.toml: unknown key 'optim.lrr'")


def test_unknown_keys_in_the_child_are_refused_as_without_a_base(tmp_path: Path) -> None:
    for body in ("[optim]\nlrr = 0.1\n", "[optimiser]\nlr = 0.1\n", "foo = 1\n"):
        plain = refused(lambda body=body: loads(body, source="x.toml"))
        based = refused(lambda body=body: loads('base = "circles-mlp"\n' + body, source="x.toml"))
        assert based == plain


# --------------------------------------------------------------------------- shipped presets


def _shipped_documents() -> dict[str, dict[str, Any]]:
    return {name: tomllib.loads((REPO / "presets" / f"{name}.toml").read_text(encoding="utf-8")) for name in preset_names()}


def test_most_shipped_presets_are_written_on_a_base() -> None:
    based = [name for name, doc in _shipped_documents().items() if "base" in doc]
    assert len([name for name in based if name.startswith("cifar10-")]) == 18  # all but cifar10-convnet
    assert {"circles-autograd", "circles-manual", "moons-mlp"} <= set(based)


@pytest.mark.parametrize("name", [name for name, doc in _shipped_documents().items() if "base" in doc])
def test_a_shipped_preset_on_a_base_writes_only_keys_it_changes(name: str) -> None:
    doc = _shipped_documents()[name]
    base, child = load_preset(doc["base"]), load_preset(name)
    written = {f"{section}.{key}": value for section, table in doc.items() if section in SECTIONS for key, value in table.items()}
    for key, value in written.items():
        assert flat(base)[key] != value, f"{name}: {key} = {value!r} repeats its base {doc['base']}; drop the line"
    # the same config as the base with these keys set one by one, the name and description the file's own
    expected = dataclasses.replace(with_values(base, written), name=doc["name"], description=doc["description"])
    assert child == expected
    assert load(REPO / "presets" / f"{name}.toml") == child


def test_the_preset_listing_shows_every_shipped_description() -> None:
    listing = {p.name: p.description for p in list_presets()}
    assert listing == {name: doc["description"] for name, doc in _shipped_documents().items()}


def test_a_resolved_config_is_written_without_base() -> None:
    for name in preset_names():
        text = dumps(load_preset(name))
        assert "base" not in tomllib.loads(text)
        assert loads(text) == load_preset(name)


# --------------------------------------------------------------------------- one mechanism for sweeps


def test_presets_and_sweep_files_share_one_merge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    merge = preset_base.overlay

    def spy(base: RunConfig, raw: Any) -> dict[str, Any]:
        calls.append(base.name)
        return merge(base, raw)

    monkeypatch.setattr(preset_base, "overlay", spy)
    load_preset("cifar10-adam")
    assert calls[-1] == "cifar10-augmented"
    load_source("cifar10-lr-batch")
    assert calls[-1] == "cifar10-convnet"


def test_a_sweep_file_builds_on_a_preset_that_has_a_base(tmp_path: Path) -> None:
    write(tmp_path / "mine.toml", 'base = "circles-mlp"\n[train]\nepochs = 2\n')
    sweep = write(tmp_path / "s.toml", '[sweep]\nbase = "mine.toml"\n[optim]\nlr = 0.7\n[grid]\n"train.seed" = [1, 2]\n')
    source = load_source(str(sweep))
    assert (source.config.train.epochs, source.config.optim.lr, source.base) == (2, 0.7, "mine.toml")
    bad = write(tmp_path / "top.toml", 'base = "circles-mlp"\n[grid]\n"train.seed" = [1, 2]\n')
    refused(lambda: load_source(str(bad)), "[sweep]", "move 'base = ...'")


# --------------------------------------------------------------------------- the command line


def test_cli_runs_a_user_preset_on_a_base_and_records_it_in_full(tmp_path: Path) -> None:
    preset = write(tmp_path / "quick.toml", 'name = "quick"\nbase = "circles-mlp"\n[optim]\nlr = 0.5\n')
    result = rdfia("run", str(preset), "--set", "train.epochs=0", "--device", "cpu", "--runs-dir", str(tmp_path / "runs"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = (run_folder_from(result) / "config.toml").read_text(encoding="utf-8")
    assert "base" not in tomllib.loads(text)
    expected = with_values(load_preset("circles-mlp"), {"optim.lr": 0.5, "train.epochs": 0, "train.device": "cpu"})
    recorded = loads(text)
    assert dataclasses.replace(recorded, description="") == dataclasses.replace(expected, name="quick", description="")
    assert recorded.description == "circles-mlp with optim.lr changed"


def test_cli_refuses_an_unknown_base_in_one_line(tmp_path: Path) -> None:
    preset = write(tmp_path / "typo.toml", 'base = "circles-mlpp"\n')
    result = rdfia("run", str(preset), "--runs-dir", str(tmp_path / "runs"), cwd=tmp_path, timeout=60)
    assert_clean_error(result, "typo.toml", "base: no preset named 'circles-mlpp'", "did you mean 'circles-mlp'?")
