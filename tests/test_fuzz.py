"""Fuzzing the config loader, the --set parser and the sweep grid: whatever comes in, the only
exception that may come out is the project's own ConfigError (a one-line message)."""

from __future__ import annotations

import math
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rdfia_tui.cli.main import UsageError, build_parser
from rdfia_tui.engine.config import SECTIONS, ConfigError, RunConfig, apply_overrides, field_specs
from rdfia_tui.engine.presets import loads
from rdfia_tui.engine.sweep.grid import parse_grid
from rdfia_tui.engine.toml_out import toml_string

FUZZ = settings(max_examples=int(os.environ.get("RDFIA_FUZZ_EXAMPLES", "300")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
KEYS = [s.key for s in field_specs()]
NAMES = [s.name for s in field_specs()]


def only_config_errors(call) -> None:
    try:
        result = call()
    except ConfigError as exc:
        message = str(exc)
        assert message and "\n" not in message
        return
    assert result is not None


# ---- TOML documents ---------------------------------------------------------------------------
def toml_scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return toml_string(value)
    return "[" + ", ".join(toml_scalar(v) for v in value) + "]"


values = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.booleans(),
    st.text(max_size=12),
    st.lists(st.integers(min_value=-5, max_value=2**40), max_size=4),
    st.lists(st.text(max_size=6), max_size=3),
    st.lists(st.floats(), max_size=3),
)
names = st.one_of(st.sampled_from(NAMES), st.from_regex(r"[a-z_]{1,10}", fullmatch=True))
sections = st.one_of(st.sampled_from(list(SECTIONS)), st.from_regex(r"[a-z]{1,8}", fullmatch=True))
tables = st.dictionaries(names, values, max_size=6)
documents = st.tuples(
    st.dictionaries(st.sampled_from(["name", "description", "extra"]), values, max_size=3),
    st.dictionaries(sections, tables, max_size=5),
)


def render(doc: tuple[dict, dict]) -> str:
    top, tabs = doc
    lines = [f"{k} = {toml_scalar(v)}" for k, v in top.items()]
    for section, table in tabs.items():
        lines.append(f"[{section}]")
        lines += [f"{k} = {toml_scalar(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


@FUZZ
@given(documents)
def test_any_toml_document_loads_or_is_a_config_error(doc) -> None:
    only_config_errors(lambda: loads(render(doc)))


@FUZZ
@given(st.text(max_size=200))
def test_any_text_loads_or_is_a_config_error(text: str) -> None:
    only_config_errors(lambda: loads(text))


# ---- --set and --grid -------------------------------------------------------------------------
@FUZZ
@given(st.text(max_size=60))
def test_any_override_text_is_applied_or_a_config_error(text: str) -> None:
    only_config_errors(lambda: apply_overrides(RunConfig(), [text]))


@FUZZ
@given(st.sampled_from(KEYS), st.text(max_size=40))
def test_any_value_for_a_real_key_is_applied_or_a_config_error(key: str, value: str) -> None:
    only_config_errors(lambda: apply_overrides(RunConfig(), [f"{key}={value}"]))


@FUZZ
@given(st.lists(st.one_of(st.text(max_size=40), st.sampled_from(KEYS).map(lambda k: k + "=")), min_size=1, max_size=3))
def test_any_grid_is_parsed_or_a_config_error(texts: list[str]) -> None:
    only_config_errors(lambda: parse_grid(texts))


@FUZZ
@given(st.lists(st.text(max_size=20), max_size=6))
def test_the_command_line_parser_only_raises_usage_errors(argv: list[str]) -> None:
    try:
        build_parser().parse_args(argv)
    except UsageError as exc:
        assert "\n" not in str(exc)
    except SystemExit as exc:  # only --help and --version exit, with 0
        assert exc.code == 0 and {"-h", "--help", "--version"} & set(argv)
