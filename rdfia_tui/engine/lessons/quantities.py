"""The quantities a lesson names, computed from the config (and the run's epochs so far), each with its formula.

Every formula is written out again here, from the course, not read from the engine; where the engine computes the
same number (the layer table, the parameter count, ``lr_at``), the Block carries both in ``checks`` and a
disagreement becomes a problem line, so a lesson can never show a formula the engine does not follow.
The functions live in quantities_net (layer sizes, parameters, receptive field, padding, crop, MLP shapes) and
quantities_run (steps, initial loss, schedule, momentum, dropout, ZCA, accuracy, gap). Torch-free.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from rdfia_tui.engine.config import RunConfig
from rdfia_tui.engine.errors import ArchitectureError, RdfiaError
from rdfia_tui.engine.events import EpochMetrics
from rdfia_tui.engine.layer_plan import Plan, plan_model, plan_table
from rdfia_tui.engine.layers import LayerTable
from rdfia_tui.engine.lessons.blocks import Block, RunFacts
from rdfia_tui.engine.registry import Registry


@dataclass(frozen=True)
class LessonContext:
    """What every quantity may read: the config, the shape the network sees (after a crop) and its classes, the plan
    and layer table the engine builds (plan None when the network breaks), the epochs so far and the run's facts."""

    cfg: RunConfig
    input_shape: tuple[int, ...]
    n_classes: int
    plan: Plan | None
    table: LayerTable | None
    epochs: tuple[EpochMetrics, ...]
    facts: RunFacts
    problem: str = ""  # why the input shape is unknown (a dataset file that cannot be read), else empty
    same_network: bool = True  # the network the lesson's figures (claims) were written for
    as_written: bool = True  # the whole config the lesson was written for

    @classmethod
    def build(cls, cfg: RunConfig, epochs: tuple[EpochMetrics, ...], facts: RunFacts, reference: RunConfig | None = None) -> LessonContext:
        """The context for ``cfg`` (``reference``: the config the lesson was written for, None when it is ``cfg``);
        a dataset whose shape cannot be read gives a context without plan or table."""
        from rdfia_tui.engine.data.layout import cropped_shape, trained_crop
        from rdfia_tui.engine.model_checks import input_spec

        same = reference is None or _network(reference) == _network(cfg)
        written = reference is None or reference.to_dict() | {"name": 0} == cfg.to_dict() | {"name": 0}
        try:
            shape, n_classes = input_spec(cfg)
        except RdfiaError as exc:
            return cls(cfg, (), 0, None, None, epochs, facts, str(exc), same, written)
        shape = cropped_shape(shape, trained_crop(cfg.data.crop_size, cfg.data.augment))
        try:
            plan = plan_model(cfg.model, shape, n_classes)
        except ArchitectureError:
            plan = None
        return cls(cfg, shape, n_classes, plan, plan_table(cfg.model, shape, n_classes), epochs, facts, "", same, written)

    def with_model(self, **changes: object) -> LessonContext:
        """The same context for a model config with ``changes`` (e.g. ``pool_ceil=False``) and an input shape of ``shape``."""
        shape = changes.pop("shape", self.input_shape)
        model = replace(self.cfg.model, **changes)
        try:
            plan = plan_model(model, shape, self.n_classes)
        except ArchitectureError:
            plan = None
        cfg = replace(self.cfg, model=model)
        return replace(self, cfg=cfg, input_shape=shape, plan=plan, table=plan_table(model, shape, self.n_classes))


def _network(cfg: RunConfig) -> tuple:
    """What a layer table depends on: the model, the dataset and the crop trained on."""
    d = cfg.data
    return cfg.model, d.dataset, d.path, d.crop_size if "crop" in d.augment else 0


Quantity = Callable[[LessonContext], Block]
QUANTITIES: Registry = Registry("quantity")  # the names of lesson.QUANTITY_NAMES (a test keeps them in step)

# What a preset without a lesson (or with an empty ``show``) shows, by model.arch.
DEFAULT_SHOW = {
    "mlp": ("mlp_shapes", "initial_loss", "schedule", "accuracy", "gap"),
    "convnet": ("output_size", "parameters", "receptive_field", "initial_loss", "schedule", "accuracy", "gap"),
}


def compute(name: str, context: LessonContext) -> Block:
    """The Block of quantity ``name`` (one of lesson.QUANTITY_NAMES) for ``context``."""
    return QUANTITIES.get(name)(context)


for _module, _names in {
    "quantities_net": ("mlp_shapes", "output_size", "parameters", "receptive_field", "same_padding", "crop"),
    "quantities_run": ("steps_per_epoch", "initial_loss", "schedule", "momentum", "dropout_scale", "zca", "accuracy", "gap"),
}.items():
    for _name in _names:
        QUANTITIES.register(_name, f"rdfia_tui.engine.lessons.{_module}:{_name}")


def unavailable(name: str, title: str, why: str) -> Block:
    """A Block that says in one line why quantity ``name`` has nothing to show for this config."""
    return Block(name, title, (why,))


def count(n: int) -> str:
    """``n`` with thousands separators: 231,170."""
    return f"{n:,}"


def percent(fraction: float) -> str:
    """A 0-1 accuracy as a percentage with one decimal: 0.6623 → '66.2 %'."""
    return f"{100 * fraction:.1f} %"
