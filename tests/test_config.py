"""Run configuration: shipped presets, TOML round trips, --set overrides and every error message."""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rdfia_tui.engine.catalog import ACTIVATIONS, DATASETS, LOSSES, OPTIMISERS, SCHEDULES
from rdfia_tui.engine.config import (
    SECTIONS,
    ConfigError,
    RunConfig,
    apply_overrides,
    documented_toml,
    dumps,
    field_specs,
    validate,
    with_value,
)
from rdfia_tui.engine.presets import list_presets, load, load_preset, loads, preset_names

REPO = Path(__file__).resolve().parents[1]
PRESET_FILES = sorted((REPO / "presets").glob("*.toml"))
SHIPPED = [p.stem for p in PRESET_FILES]


def _sections(cfg: RunConfig) -> dict:
    """The five sections of ``cfg`` as plain data (name and description left out)."""
    data = cfg.to_dict()
    return {s: data[s] for s in SECTIONS}


# --------------------------------------------------------------------------- shipped presets


def test_the_repository_ships_presets() -> None:
    assert "circles-mlp" in SHIPPED and "reference" in SHIPPED
    assert preset_names() == sorted(SHIPPED)
    assert [p.name for p in list_presets()] == sorted(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_preset_loads_and_validates(name: str) -> None:
    cfg = load_preset(name)
    assert isinstance(cfg, RunConfig)
    assert validate(cfg) is cfg
    # the name inside the file is the one `rdfia-tui presets` shows and `run` accepts
    assert cfg.name == name
    # loading by name and by path give the same config
    assert load(REPO / "presets" / f"{name}.toml") == cfg


@pytest.mark.parametrize("name", SHIPPED)
def test_preset_descriptions_cite_a_lab_question(name: str) -> None:
    description = load_preset(name).description
    assert description.strip(), f"preset {name} has no description"
    if name == "reference":
        return
    assert re.search(r"\bQ\d", description), f"preset {name}'s description names no lab question (Q1, Q17...): {description!r}"


def test_list_presets_reports_descriptions() -> None:
    by_name = {p.name: p for p in list_presets()}
    for name in SHIPPED:
        assert by_name[name].description == load_preset(name).description
        assert not by_name[name].description.startswith("(invalid")


def test_reference_preset_is_the_documented_dump_of_itself() -> None:
    """A key added to a dataclass but not to reference.toml (or without help) fails here."""
    text = (REPO / "presets" / "reference.toml").read_text(encoding="utf-8")
    assert text == documented_toml(load_preset("reference"))


def test_reference_preset_holds_every_key_with_its_default_and_help() -> None:
    text = (REPO / "presets" / "reference.toml").read_text(encoding="utf-8")
    raw = tomllib.loads(text)
    lines = text.splitlines()
    specs = field_specs()
    assert len(specs) > 30
    for spec in specs:
        assert spec.name in raw[spec.section], f"{spec.key} missing from reference.toml"
        assert spec.help, f"{spec.key} has no help text"
        # the line before `key = value` is the comment that explains it
        index = next(i for i, line in enumerate(lines) if line.startswith(f"{spec.name} = ") and _section_of(lines, i) == spec.section)
        assert lines[index - 1].startswith("# ") and spec.help in lines[index - 1]
        for choice in spec.choices or ():
            assert choice in lines[index - 1]
    # "every key with its default": the sections equal a default RunConfig
    assert _sections(load_preset("reference")) == _sections(RunConfig())


def _section_of(lines: list[str], index: int) -> str:
    for line in reversed(lines[:index]):
        if line.startswith("[") and line.endswith("]"):
            return line[1:-1]
    return ""


# --------------------------------------------------------------------------- round trips


def test_dumps_loads_round_trip_defaults() -> None:
    cfg = RunConfig()
    assert loads(dumps(cfg)) == cfg


@pytest.mark.parametrize("name", SHIPPED)
def test_dumps_loads_round_trip_presets(name: str) -> None:
    cfg = load_preset(name)
    again = loads(dumps(cfg))
    assert again == cfg
    assert again.to_dict() == cfg.to_dict()


def test_dumps_round_trips_non_default_values() -> None:
    cfg = loads(
        """
        name = "custom"
        [model]
        arch = "convnet"
        conv_channels = [8, 16]
        conv_kernels = [3, 3]
        conv_paddings = [1, 0]
        fc = []
        dropout = 0.25
        batch_norm = true
        [optim]
        name = "adam"
        lr = 1e-30
        eps = 1e-12
        [schedule]
        name = "step"
        gamma = 0.3333333333333333
        [train]
        device = "cuda:1"
        [data]
        dataset = "cifar10"
        download = false
        """
    )
    assert cfg.model.conv_channels == (8, 16) and cfg.model.fc == ()
    assert loads(dumps(cfg)) == cfg


@pytest.mark.parametrize(
    "description",
    [
        'quotes " and \\ backslashes',
        "two\nlines\tand a tab",
        "accents é, arrows →, emoji 🙂",
        "a line separator \u2028",
    ],
    ids=["quotes", "newline-tab", "unicode", "u2028"],
)
def test_dumps_round_trips_any_description(description: str) -> None:
    """dumps() promises TOML that loads again; the run folder's config.toml depends on it."""
    cfg = dataclasses.replace(RunConfig(), name="my run", description=description)
    assert loads(dumps(cfg)) == cfg


@pytest.mark.parametrize("description", ["a nul \x00 inside", "a delete character \x7f inside", "an escape \x1b[2J"])
def test_a_description_a_terminal_would_act_on_is_refused(description: str) -> None:
    """The console and the preset list print descriptions: a control character would act on the terminal."""
    cfg = dataclasses.replace(RunConfig(), name="my run", description=description)
    with pytest.raises(ConfigError, match=r"description: contains a control character \(U\+00"):
        loads(dumps(cfg))


@settings(max_examples=60, deadline=None)
@given(lr=st.floats(min_value=1e-300, max_value=1e300, allow_nan=False, allow_infinity=False))
def test_dumps_round_trips_any_learning_rate_exactly(lr: float) -> None:
    cfg = with_value(RunConfig(), "optim.lr", lr)
    assert loads(dumps(cfg)).optim.lr == lr


# --------------------------------------------------------------------------- overrides


@pytest.mark.parametrize(
    ("override", "section", "name", "expected"),
    [
        ("train.epochs=7", "train", "epochs", 7),
        ("train.epochs= 12 ", "train", "epochs", 12),
        ("optim.lr=0.05", "optim", "lr", 0.05),
        ("optim.lr=1e-3", "optim", "lr", 0.001),
        ("data.download=false", "data", "download", False),
        ("data.download=FALSE", "data", "download", False),
        ("data.download=no", "data", "download", False),
        ("model.pool_ceil=true", "model", "pool_ceil", True),
        ("model.pool_ceil=yes", "model", "pool_ceil", True),
        ("optim.name=adam", "optim", "name", "adam"),
        ('train.device="cpu"', "train", "device", "cpu"),
        ("train.device='cuda:0'", "train", "device", "cuda:0"),
        ("model.hidden=100,50", "model", "hidden", (100, 50)),
        ("model.hidden=[100, 50]", "model", "hidden", (100, 50)),
        ("model.hidden=8", "model", "hidden", (8,)),
    ],
)
def test_override_parses_text_into_the_field_type(override: str, section: str, name: str, expected: object) -> None:
    cfg = apply_overrides(RunConfig(), [override])
    value = getattr(getattr(cfg, section), name)
    assert value == expected
    assert type(value) is type(expected)


_TWO_CONVS = {"model": {"conv_channels": [8, 16], "conv_kernels": [3, 3], "conv_paddings": [1, 0]}}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param(["model.conv_channels=8,16", "model.conv_kernels=3,3", "model.conv_paddings=1,0"], _TWO_CONVS, id="two-convolutions"),
        pytest.param(
            ["model.conv_kernels=3,3", "model.conv_paddings=1,0", "model.conv_channels=8,16"], _TWO_CONVS, id="two-convolutions-other-order"
        ),
        pytest.param(["data.dataset=npz", "data.path=train.npz"], {"data": {"dataset": "npz", "path": "train.npz"}}, id="npz-then-path"),
        pytest.param(
            ["optim.nesterov=true", "optim.momentum=0.9"], {"optim": {"nesterov": True, "momentum": 0.9}}, id="nesterov-then-momentum"
        ),
    ],
)
def test_overrides_that_are_only_valid_together(overrides: list[str], expected: dict) -> None:
    """Rules that tie several keys are checked on the final config, not after each --set.

    The number of convolutions is set by three lists, so no single --set can change it;
    and the npz error itself tells the user to add --set data.path=..., which must then work.
    """
    cfg = apply_overrides(load_preset("cifar10-convnet"), overrides).to_dict()
    for section, values in expected.items():
        for name, value in values.items():
            assert cfg[section][name] == value


def test_integer_text_for_a_float_key_becomes_a_float() -> None:
    cfg = apply_overrides(RunConfig(), ["optim.lr=1"])
    assert cfg.optim.lr == 1.0 and isinstance(cfg.optim.lr, float)


def test_later_overrides_win() -> None:
    cfg = apply_overrides(RunConfig(), ["optim.lr=0.5", "train.epochs=3", "optim.lr=0.25"])
    assert cfg.optim.lr == 0.25
    assert cfg.train.epochs == 3


def test_an_override_leaves_every_other_key_untouched() -> None:
    before = load_preset("digits-mlp")
    after = apply_overrides(before, ["optim.lr=0.02"])
    a, b = before.to_dict(), after.to_dict()
    assert b["optim"]["lr"] == 0.02
    b["optim"]["lr"] = a["optim"]["lr"]
    assert a == b
    # and the original object is not changed
    assert before.optim.lr == 0.1


def test_configs_are_frozen() -> None:
    cfg = apply_overrides(RunConfig(), ["optim.lr=0.5"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.optim.lr = 1.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.train = cfg.train  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.name = "other"  # type: ignore[misc]
    assert cfg.optim.lr == 0.5


def test_with_value_validates_the_result() -> None:
    cfg = with_value(RunConfig(), "model.hidden", (3, 2))
    assert cfg.model.hidden == (3, 2)
    with pytest.raises(ConfigError) as info:
        with_value(RunConfig(), "optim.momentum", 1.5)
    assert info.value.key == "optim.momentum"


def test_loads_without_a_name_uses_the_default_name() -> None:
    cfg = loads("[optim]\nlr = 0.5\n", default_name="mine")
    assert cfg.name == "mine"
    assert cfg.optim.lr == 0.5
    assert cfg.train == RunConfig().train


def test_toml_integer_for_a_float_key_is_accepted_as_float() -> None:
    cfg = loads("[optim]\nlr = 1\n")
    assert cfg.optim.lr == 1.0 and isinstance(cfg.optim.lr, float)


# --------------------------------------------------------------------------- error messages

_ALL_OPTIMISERS = ", ".join(OPTIMISERS.names())

# (TOML text, the key the error is about, fragments the message must contain: key, given value, what is allowed)
TOML_ERRORS = [
    pytest.param("[optim]\nlrr = 0.1\n", "optim.lrr", ["optim.lrr", "did you mean 'optim.lr'"], id="unknown-key-in-section"),
    pytest.param(
        "[schedule]\nstepsize = 3\n", "schedule.stepsize", ["schedule.stepsize", "did you mean 'schedule.step_size'"], id="unknown-key-typo"
    ),
    pytest.param(
        "[optimm]\nlr = 0.1\n", "optimm", ["'optimm'", "did you mean 'optim'", "top-level keys", "schedule"], id="unknown-section"
    ),
    pytest.param(
        "foo = 1\n", "foo", ["'foo'", "top-level keys: name, description, data, model, optim, schedule, train"], id="unknown-top-level"
    ),
    pytest.param("optim = 3\n", "optim", ["optim", "3", "table"], id="section-not-a-table"),
    pytest.param("name = 3\n", "name", ["name", "3", "a string"], id="name-not-a-string"),
    pytest.param('[train]\nepochs = "3"\n', "train.epochs", ["train.epochs", "'3'", "an integer"], id="string-for-int"),
    pytest.param("[train]\nepochs = true\n", "train.epochs", ["train.epochs", "True", "an integer"], id="bool-for-int"),
    pytest.param("[train]\nepochs = 2.5\n", "train.epochs", ["train.epochs", "2.5", "an integer"], id="float-for-int"),
    pytest.param("[optim]\nlr = true\n", "optim.lr", ["optim.lr", "True", "a number"], id="bool-for-float"),
    pytest.param("[model]\nhidden = [1.5]\n", "model.hidden", ["model.hidden", "1.5", "a list of integers"], id="float-in-int-list"),
    pytest.param("[model]\nhidden = 4\n", "model.hidden", ["model.hidden", "4", "a list of integers"], id="int-for-int-list"),
    pytest.param("[data]\ndownload = 1\n", "data.download", ["data.download", "1", "true or false"], id="int-for-bool"),
    pytest.param("[optim]\nlr = 0\n", "optim.lr", ["optim.lr", "0", "greater than 0"], id="lr-zero"),
    pytest.param("[optim]\nlr = -0.1\n", "optim.lr", ["optim.lr", "-0.1", "greater than 0"], id="lr-negative"),
    pytest.param("[optim]\nlr = nan\n", "optim.lr", ["optim.lr", "nan", "finite"], id="lr-nan"),
    pytest.param("[optim]\nlr = inf\n", "optim.lr", ["optim.lr", "inf", "finite"], id="lr-inf"),
    pytest.param("[train]\nepochs = -1\n", "train.epochs", ["train.epochs", "-1", "at least 0"], id="epochs-negative"),
    pytest.param("[train]\nbatch_size = -4\n", "train.batch_size", ["train.batch_size", "-4", "at least 0"], id="batch-negative"),
    pytest.param("[data]\nval_split = 1.0\n", "data.val_split", ["data.val_split", "1.0", "[0, 1)"], id="val-split-one"),
    pytest.param("[data]\nval_split = -0.1\n", "data.val_split", ["data.val_split", "-0.1", "[0, 1)"], id="val-split-negative"),
    pytest.param("[model]\ndropout = 1.0\n", "model.dropout", ["model.dropout", "1.0", "[0, 1)"], id="dropout-one"),
    pytest.param(
        '[optim]\nname = "adamm"\n',
        "optim.name",
        ["optim.name", "'adamm'", f"allowed: {_ALL_OPTIMISERS}", "did you mean 'adam'"],
        id="unknown-optimiser",
    ),
    pytest.param(
        '[schedule]\nname = "exponentail"\n',
        "schedule.name",
        ["schedule.name", "'exponentail'", *SCHEDULES.names(), "did you mean 'exponential'"],
        id="unknown-schedule",
    ),
    pytest.param(
        '[data]\ndataset = "cifar"\n',
        "data.dataset",
        ["data.dataset", "'cifar'", *DATASETS.names(), "did you mean 'cifar10'"],
        id="unknown-dataset",
    ),
    pytest.param(
        '[model]\nactivation = "tanhh"\n',
        "model.activation",
        ["model.activation", "'tanhh'", *ACTIVATIONS.names(), "did you mean 'tanh'"],
        id="unknown-activation",
    ),
    pytest.param(
        '[train]\nloss = "cross-entropy"\n',
        "train.loss",
        ["train.loss", "'cross-entropy'", *LOSSES.names(), "did you mean 'cross_entropy'"],
        id="unknown-loss",
    ),
    pytest.param(
        '[model]\narch = "convnett"\n', "model.arch", ["model.arch", "'convnett'", "mlp", "did you mean 'convnet'"], id="unknown-arch"
    ),
    pytest.param('[train]\ndevice = "gpu"\n', "train.device", ["train.device", "'gpu'", "auto, cpu, cuda, cuda:N or mps"], id="device-gpu"),
    pytest.param('[train]\ndevice = "cuda:x"\n', "train.device", ["train.device", "'cuda:x'", "cuda:N"], id="device-bad-index"),
    pytest.param('[data]\ndataset = "npz"\n', "data.path", ["data.path", "'npz'", "--set data.path="], id="npz-without-path"),
    pytest.param(
        '[data]\ndataset = "imagefolder"\n', "data.path", ["data.path", "'imagefolder'", "--set data.path="], id="imagefolder-without-path"
    ),
    pytest.param(
        "[model]\nconv_kernels = [5, 5]\n",
        "model.conv_kernels",
        ["model.conv_kernels", "2 kernels", "3 conv_channels", "one of each per convolution"],
        id="conv-kernels-length",
    ),
    pytest.param(
        "[optim]\nnesterov = true\n", "optim.nesterov", ["optim.nesterov", "momentum 0", "momentum > 0"], id="nesterov-without-momentum"
    ),
    pytest.param(
        '[optim]\nname = "adam"\nmomentum = 0.9\nnesterov = true\n',
        "optim.nesterov",
        ["optim.nesterov", "'adam'", "optim.name='sgd'"],
        id="nesterov-not-sgd",
    ),
]


@pytest.mark.parametrize(("text", "key", "fragments"), TOML_ERRORS)
def test_invalid_toml_values_name_key_value_and_allowed(text: str, key: str, fragments: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        loads(text, source="my.toml")
    message = str(info.value)
    assert info.value.key == key
    assert message.startswith("my.toml: "), message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert "\n" not in message


@pytest.mark.parametrize(
    "text",
    ["[train\nepochs = 1\n", 'name = "unterminated\n', "[optim]\nlr = = 1\n", "[optim]\nlr = 0.1\nlr = 0.2\n"],
    ids=["unclosed-table", "unterminated-string", "double-equals", "duplicate-key"],
)
def test_malformed_toml_names_line_and_column(text: str) -> None:
    with pytest.raises(ConfigError) as info:
        loads(text, source="broken.toml")
    message = str(info.value)
    assert "broken.toml" in message
    assert "line" in message and "column" in message
    assert "\n" not in message


def test_load_prefixes_errors_with_the_file_path(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text("[optim]\nlr = -2\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load(path)
    assert str(path) in str(info.value)
    assert "optim.lr" in str(info.value) and "-2" in str(info.value)
    assert info.value.key == "optim.lr"


# (the --set text, the key the error is about or None, fragments the message must contain)
OVERRIDE_ERRORS = [
    pytest.param("optim.lr", None, ["'optim.lr'", "section.key=value"], id="no-equals"),
    pytest.param("lr=0.1", None, ["'lr=0.1'", "section.key=value"], id="no-section"),
    pytest.param("train.epochs=abc", "train.epochs", ["train.epochs", "'abc'", "an integer"], id="epochs-abc"),
    pytest.param("train.epochs=3.5", "train.epochs", ["train.epochs", "'3.5'", "an integer"], id="epochs-float"),
    pytest.param("train.epochs=-2", "train.epochs", ["train.epochs", "-2", "at least 0"], id="epochs-negative"),
    pytest.param("optim.lr=fast", "optim.lr", ["optim.lr", "'fast'", "a number"], id="lr-not-a-number"),
    pytest.param("optim.lr=-1", "optim.lr", ["optim.lr", "-1", "greater than 0"], id="lr-negative"),
    pytest.param("optim.lr=nan", "optim.lr", ["optim.lr", "nan", "finite"], id="lr-nan"),
    pytest.param("optim.lr=inf", "optim.lr", ["optim.lr", "inf", "finite"], id="lr-inf"),
    pytest.param("optim.lrr=1", "optim.lrr", ["optim.lrr", "did you mean 'optim.lr'"], id="unknown-key"),
    pytest.param("data.download=maybe", "data.download", ["data.download", "'maybe'", "true or false"], id="bool-maybe"),
    pytest.param("model.hidden=[1.5]", "model.hidden", ["model.hidden", "1.5", "a list of integers"], id="float-list"),
    pytest.param("model.hidden=0", "model.hidden", ["model.hidden", "(0,)", "at least 1"], id="hidden-zero"),
    pytest.param(
        "optim.name=adamw", "optim.name", ["optim.name", "'adamw'", _ALL_OPTIMISERS, "did you mean 'adam'"], id="unknown-optimiser"
    ),
    pytest.param("train.device=gpu0", "train.device", ["train.device", "'gpu0'", "cuda:N"], id="device"),
]


@pytest.mark.parametrize(("override", "key", "fragments"), OVERRIDE_ERRORS)
def test_invalid_overrides_name_key_value_and_allowed(override: str, key: str | None, fragments: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        apply_overrides(load_preset("circles-mlp"), [override])
    message = str(info.value)
    assert info.value.key == key
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert "\n" not in message


FLOAT_KEYS = [s.key for s in field_specs() if s.type is float]


@pytest.mark.parametrize("key", FLOAT_KEYS)
def test_every_float_key_rejects_nan(key: str) -> None:
    with pytest.raises(ConfigError) as info:
        apply_overrides(RunConfig(), [f"{key}=nan"])
    assert info.value.key == key


@pytest.mark.parametrize("key", FLOAT_KEYS)
def test_every_float_key_rejects_infinity(key: str) -> None:
    """An infinite noise, weight decay or decay rate can only produce NaN; it must fail as a config error."""
    with pytest.raises(ConfigError) as info:
        apply_overrides(RunConfig(), [f"{key}=inf"])
    assert info.value.key == key
    assert key in str(info.value) and "inf" in str(info.value)


def test_every_key_accepts_its_own_default_as_text() -> None:
    """A --set of the default's text gives back the same config, for every key."""
    base = RunConfig()
    for spec in field_specs():
        value = spec.default
        if isinstance(value, tuple):
            text = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = str(value)
        assert apply_overrides(base, [f"{spec.key}={text}"]) == base, spec.key


def test_override_values_pass_the_same_checks_as_toml() -> None:
    for text, key in [("[optim]\nmomentum = 1.0\n", "optim.momentum"), ("[train]\neval_batch_size = -1\n", "train.eval_batch_size")]:
        with pytest.raises(ConfigError) as from_toml:
            loads(text)
        section, name = key.split(".")
        value = tomllib.loads(text)[section][name]
        with pytest.raises(ConfigError) as from_set:
            apply_overrides(RunConfig(), [f"{key}={value}"])
        assert from_toml.value.key == from_set.value.key == key
        assert str(from_toml.value).endswith(str(from_set.value))


# --------------------------------------------------------------------------- load_preset


def test_unknown_preset_name_suggests_the_nearest() -> None:
    with pytest.raises(ConfigError) as info:
        load_preset("circle-mlp")
    message = str(info.value)
    assert "'circle-mlp'" in message
    assert "did you mean 'circles-mlp'" in message
    assert "rdfia-tui presets" in message


def test_unknown_preset_far_from_any_name_gives_no_suggestion() -> None:
    with pytest.raises(ConfigError) as info:
        load_preset("zzzzzzzz")
    assert "did you mean" not in str(info.value)
    assert "'zzzzzzzz'" in str(info.value)


def test_missing_preset_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "mine.toml"
    with pytest.raises(ConfigError) as info:
        load_preset(str(missing))
    assert str(missing) in str(info.value)
    assert "does not exist" in str(info.value)


def test_preset_path_to_a_valid_file(tmp_path: Path) -> None:
    path = tmp_path / "my-preset.toml"
    path.write_text('description = "mine"\n[optim]\nlr = 0.5\n[train]\nepochs = 2\n', encoding="utf-8")
    cfg = load_preset(str(path))
    assert cfg.name == "my-preset"  # taken from the file name when the file has none
    assert cfg.description == "mine"
    assert cfg.optim.lr == 0.5 and cfg.train.epochs == 2
    assert cfg.model == RunConfig().model


def test_preset_path_to_an_invalid_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[optim]\nlr = 0.1\nlrr = 0.2\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_preset(str(path))
    assert str(path) in str(info.value)
    assert "did you mean 'optim.lr'" in str(info.value)


def test_preset_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "binary.toml"
    path.write_bytes(b"\xff\xfe\x00\x81 not text")
    with pytest.raises(ConfigError) as info:
        load_preset(str(path))
    assert str(path) in str(info.value)


def test_dumped_config_loads_as_a_preset_file(tmp_path: Path) -> None:
    cfg = apply_overrides(load_preset("digits-mlp"), ["train.epochs=3", "model.hidden=16,8"])
    path = tmp_path / "copy.toml"
    path.write_text(dumps(cfg), encoding="utf-8")
    assert load_preset(str(path)) == cfg


def test_loaded_floats_are_finite_for_every_preset() -> None:
    for name in SHIPPED:
        cfg = load_preset(name)
        for spec in field_specs():
            if spec.type is float:
                assert math.isfinite(getattr(getattr(cfg, spec.section), spec.name)), (name, spec.key)
