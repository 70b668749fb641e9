"""A preset's lesson: the report's questions it answers, the question in words, what to watch in the run, the
report's errors with their corrections, the quantities the console computes beside it, and the report's figures
those quantities are checked against.

It is the ``[lesson]`` table of a preset file, so a teacher writes lessons for their own presets::

    [lesson]
    lab = "6-7"
    questions = ["Q10", "Q11"]
    question = "How many parameters has each layer, and what size is each output?"
    watch = "The total under the layer table."
    show = ["parameters", "output_size"]

    [lesson.claims]              # the report's figures; the console prints its own beside them
    params = 235970
    layer_params = { conv2 = 56064 }
    test_acc = 0.60              # a 0-1 fraction

    [[lesson.errata]]
    question = "Q10"
    report = "conv2 has 56,064 parameters."
    correct = "conv2 has 64 × (32·5·5 + 1) = 51,264."

A lesson is never inherited through ``base``: a preset that changes another answers another question.
This module is torch-free and imports nothing from the config, which holds a Lesson.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rdfia_tui.engine.errors import ConfigError
from rdfia_tui.engine.registry import did_you_mean
from rdfia_tui.engine.text_checks import control_character
from rdfia_tui.engine.toml_out import toml_value

LESSON_KEY = "lesson"
LABS = ("4-5", "6-7")
# What ``show`` may name; rdfia_tui.engine.lessons.quantities registers one function per name (a test keeps them in step).
QUANTITY_NAMES = (
    "mlp_shapes",
    "output_size",
    "parameters",
    "receptive_field",
    "same_padding",
    "crop",
    "steps_per_epoch",
    "initial_loss",
    "schedule",
    "momentum",
    "dropout_scale",
    "zca",
    "accuracy",
    "gap",
)


@dataclass(frozen=True)
class Erratum:
    """One place the report is wrong: its question ("Q10"), what it says, and the correct statement."""

    question: str
    report: str
    correct: str


@dataclass(frozen=True)
class Claims:
    """The report's figures a lesson checks: parameters in all and per layer, and accuracies as 0-1 fractions."""

    params: int | None = None
    layer_params: tuple[tuple[str, int], ...] = ()
    test_acc: float | None = None
    train_acc: float | None = None

    def is_empty(self) -> bool:
        """True when the lesson states no figure of the report."""
        return self == Claims()


@dataclass(frozen=True)
class Lesson:
    """What a preset teaches: ``lab`` ("4-5" or "6-7"), the report's ``questions``, the ``question`` in one or two
    sentences, what to ``watch`` in the run, the report's ``errata``, the quantities to ``show`` (names of
    QUANTITY_NAMES, in order) and the report's ``claims``."""

    lab: str
    questions: tuple[str, ...]
    question: str
    watch: str
    show: tuple[str, ...] = ()
    errata: tuple[Erratum, ...] = ()
    claims: Claims = Claims()

    @property
    def heading(self) -> str:
        """'Labs 6-7, Q10-Q11' style: where in the report this lesson sits."""
        return f"Labs {self.lab}, {', '.join(self.questions)}"

    def to_toml(self) -> str:
        """The ``[lesson]`` tables as a preset file spells them (loadable again by ``parse_lesson``)."""
        lines = ["[lesson]", f"lab = {toml_value(self.lab)}", f"questions = {toml_value(list(self.questions))}",
                 f"question = {toml_value(self.question)}", f"watch = {toml_value(self.watch)}",
                 f"show = {toml_value(list(self.show))}"]  # fmt: skip
        if not self.claims.is_empty():
            lines += ["", "[lesson.claims]"]
            for key in ("params", "test_acc", "train_acc"):
                value = getattr(self.claims, key)
                if value is not None:
                    lines.append(f"{key} = {toml_value(value)}")
            if self.claims.layer_params:
                inner = ", ".join(f"{toml_value(name)} = {count}" for name, count in self.claims.layer_params)
                lines.append(f"layer_params = {{ {inner} }}")
        for erratum in self.errata:
            lines += ["", "[[lesson.errata]]", f"question = {toml_value(erratum.question)}",
                      f"report = {toml_value(erratum.report)}", f"correct = {toml_value(erratum.correct)}"]  # fmt: skip
        return "\n".join(lines) + "\n"


# ---- reading ----------------------------------------------------------------------------------------------
MAX_TEXT = 2000  # characters of one string: a few screens of the panel
MAX_ITEMS = 50  # questions, errata or claimed layers


def _text(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{key}: expected a non-empty string, got {_short(value)}", key=key)
    bad = control_character(value, allowed="\n")
    if bad is not None:
        raise ConfigError(f"{key}: contains a control character ({bad}), which a terminal would act on; remove it", key=key)
    if len(value) > MAX_TEXT:
        raise ConfigError(f"{key}: {len(value):,} characters; a lesson's text is at most {MAX_TEXT:,}: shorten it", key=key)
    return value.strip()


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _at_most(items: Any, key: str) -> None:
    if isinstance(items, list | Mapping) and len(items) > MAX_ITEMS:
        raise ConfigError(f"{key}: {len(items):,} entries; a lesson has at most {MAX_ITEMS}", key=key)


def _texts(value: Any, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ConfigError(f'{key}: expected a non-empty list of strings, e.g. ["Q10", "Q11"]; got {_short(value)}', key=key)
    _at_most(value, key)
    return tuple(_text(item, key) for item in value)


def _table(value: Any, key: str, allowed: tuple[str, ...], required: tuple[str, ...] = (), what: str = "a lesson") -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{key}: expected a table [{key}], got {_short(value)}", key=key)
    for name in value:
        if name not in allowed:
            raise ConfigError(f"unknown key '{key}.{name}'{did_you_mean(name, list(allowed))} (allowed: {', '.join(allowed)})",
                              key=f"{key}.{name}")  # fmt: skip
    missing = [name for name in required if name not in value]
    if missing:
        raise ConfigError(f"{key}: missing {', '.join(missing)} ({what} needs {', '.join(required)})", key=f"{key}.{missing[0]}")
    return value


def _show(value: Any, key: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ConfigError(f"{key}: expected a list of quantity names, got {_short(value)}", key=key)
    for name in value:
        if name not in QUANTITY_NAMES:
            hint = did_you_mean(str(name), list(QUANTITY_NAMES))
            raise ConfigError(f"{key}: unknown quantity {_short(name)}{hint} (known: {', '.join(QUANTITY_NAMES)})", key=key)
    return tuple(dict.fromkeys(value))


def _count(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{key}: expected a whole number of parameters (0 or more), got {_short(value)}", key=key)
    return value


def _accuracy(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or not 0 <= value <= 1:
        raise ConfigError(f"{key}: expected an accuracy as a 0-1 fraction (0.6 for 60 %), got {_short(value)}", key=key)
    return float(value)


_CLAIM_READERS: dict[str, Callable[[Any, str], Any]] = {"params": _count, "test_acc": _accuracy, "train_acc": _accuracy}


def _claims(value: Any, key: str) -> Claims:
    table = _table(value, key, (*_CLAIM_READERS, "layer_params"))
    found = {name: read(table[name], f"{key}.{name}") for name, read in _CLAIM_READERS.items() if name in table}
    layers = table.get("layer_params", {})
    if not isinstance(layers, Mapping):
        raise ConfigError(f"{key}.layer_params: expected a table of layer = count, e.g. {{ conv2 = 56064 }}; got {_short(layers)}",
                          key=f"{key}.layer_params")  # fmt: skip
    _at_most(layers, f"{key}.layer_params")
    if layers:
        found["layer_params"] = tuple((str(n), _count(c, f"{key}.layer_params.{n}")) for n, c in layers.items())
    return Claims(**found)


def _errata(value: Any, key: str) -> tuple[Erratum, ...]:
    if not isinstance(value, list):
        raise ConfigError(f"{key}: expected [[{key}]] tables, got {_short(value)}", key=key)
    _at_most(value, key)
    fields = ("question", "report", "correct")
    out = []
    for item in value:
        table = _table(item, key, fields, fields, what="an erratum")
        out.append(Erratum(*(_text(table[name], f"{key}.{name}") for name in fields)))
    return tuple(out)


def parse_lesson(value: Any, key: str = LESSON_KEY) -> Lesson:
    """The Lesson of a preset's ``[lesson]`` table.

    Raises ConfigError (one line naming the key) for a missing or unknown key, a wrong type, an unknown quantity
    name or a claimed accuracy outside 0-1.
    """
    required = ("lab", "questions", "question", "watch")
    table = _table(value, key, (*required, "show", "errata", "claims"), required)
    lab = _text(table["lab"], f"{key}.lab")
    if lab not in LABS:
        raise ConfigError(f"{key}.lab: expected one of {', '.join(LABS)}, got {_short(lab)}", key=f"{key}.lab")
    return Lesson(
        lab=lab,
        questions=_texts(table["questions"], f"{key}.questions"),
        question=_text(table["question"], f"{key}.question"),
        watch=_text(table["watch"], f"{key}.watch"),
        show=_show(table.get("show", []), f"{key}.show"),
        errata=_errata(table.get("errata", []), f"{key}.errata"),
        claims=_claims(table.get("claims", {}), f"{key}.claims"),
    )
