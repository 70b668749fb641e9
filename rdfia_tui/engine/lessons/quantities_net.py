"""The network's quantities (labs 4-5 Q4-7, labs 6-7 Q1-11, Q22): MLP shapes, output sizes, parameters, receptive
fields, the padding that keeps the size and what a random crop does, each formula written out with the numbers."""

from __future__ import annotations

import itertools
import math

from rdfia_tui.engine.layer_plan import LayerSpec, plan_features
from rdfia_tui.engine.layers import LayerRow
from rdfia_tui.engine.lessons.blocks import Block, Check
from rdfia_tui.engine.lessons.quantities import LessonContext, count, unavailable

SPATIAL = ("Conv2d", "MaxPool2d", "AvgPool2d")


def _pair(v: int | tuple[int, ...] | None) -> int:
    """The height's value of a kernel, stride or padding given as an int or an (h, w) pair."""
    return v if isinstance(v, int) else int(v[0]) if v else 1


def _layers(ctx: LessonContext) -> list[tuple[str, LayerSpec, LayerRow | None]]:
    """(name, spec, engine row) per planned layer; a network that breaks is planned up to its features."""
    plan = ctx.plan if ctx.plan is not None else plan_features(ctx.cfg.model, ctx.input_shape)
    rows = {row.name: row for row in (ctx.table.rows if ctx.table else [])}
    return [(name, spec, rows.get(name)) for name, spec in plan]


def _sizes(ctx: LessonContext) -> list[tuple[str, LayerSpec, int, LayerRow | None]]:
    """(name, spec, input height, engine row) per spatial layer, the height carried by the engine's rows."""
    out, size = [], ctx.input_shape[1] if len(ctx.input_shape) == 3 else 0
    for name, spec, row in _layers(ctx):
        if spec.kind in SPATIAL:
            out.append((name, spec, size, row))
        if row is not None and len(row.out_shape) == 3:
            size = row.out_shape[1]
    return out


def _needs_images(ctx: LessonContext, name: str, title: str) -> Block | None:
    """A one-line Block when the network has no convolution to describe, else None."""
    if ctx.problem:
        return unavailable(name, title, ctx.problem)
    if ctx.cfg.model.arch != "convnet" or len(ctx.input_shape) != 3:
        return unavailable(name, title, "This network has no convolution or pooling; the quantity is for convnets (labs 6-7).")
    return None


def window_out(x: int, k: int, p: int, s: int, ceil: bool = False) -> int:
    """A convolution's or pooling's output size along one axis: ⌊(x − k + 2p)/s⌋ + 1 (labs 6-7 Q1; the floor
    matters), or with ceil_mode ⌈(x − k + 2p)/s⌉ + 1, less a last window that would start in the right padding."""
    span = x - k + 2 * p
    out = (-(-span // s) if ceil else span // s) + 1
    if ceil and (out - 1) * s >= x + p:
        out -= 1
    return max(out, 0)


def output_size(ctx: LessonContext) -> Block:
    """Per convolution and pooling: ⌊(x − k + 2p)/s⌋ + 1 with the numbers, checked against the layer table."""
    title = "Output size of each layer: ⌊(x − k + 2p)/s⌋ + 1"
    if (missing := _needs_images(ctx, "output_size", title)) is not None:
        return missing
    lines = [f"input {'×'.join(map(str, ctx.input_shape))}"]
    checks = []
    for name, spec, x, row in _sizes(ctx):
        k, p, s = _pair(spec.kernel_size), _pair(spec.padding), _pair(spec.stride or spec.kernel_size)
        ceil = bool(spec.ceil_mode)
        out = window_out(x, k, p, s, ceil)
        bracket = ("⌈", "⌉") if ceil else ("⌊", "⌋")
        lines.append(f"{name:<6} {bracket[0]}({x} − {k} + 2·{p})/{s}{bracket[1]} + 1 = {out}")
        if row is not None:
            checks.append(Check(f"{name} output size", out, row.out_shape[1]))
    if ctx.table is not None and ctx.table.error:
        lines.append(f"breaks: {ctx.table.error}")
    return Block.checked("output_size", title, lines, checks)


def _param_formula(spec: LayerSpec) -> tuple[str, int] | None:
    """A layer's parameter formula as text and its value; None for a layer without parameters."""
    if spec.kind == "Conv2d":
        kh, kw = (spec.kernel_size, spec.kernel_size) if isinstance(spec.kernel_size, int) else spec.kernel_size
        return f"{spec.out_channels} × ({spec.in_channels}·{kh}·{kw} + 1)", spec.out_channels * (spec.in_channels * kh * kw + 1)
    if spec.kind == "Linear":
        return f"{spec.out_features} × ({spec.in_features} + 1)", spec.out_features * (spec.in_features + 1)
    if spec.kind.startswith("BatchNorm"):
        return f"2 × {spec.param_count // 2} (γ, β)", spec.param_count
    return None


def _claimed(ctx: LessonContext) -> dict[str, int]:
    """The report's per-layer counts, when they are about this network."""
    return dict(ctx.cfg.lesson.claims.layer_params) if ctx.cfg.lesson and ctx.same_network else {}


def _claim_notes(ctx: LessonContext, named: set[str]) -> list[str]:
    """Why some of the report's figures are not compared: another network, or a layer this one does not have."""
    claims = ctx.cfg.lesson.claims if ctx.cfg.lesson else None
    if claims is None or claims.is_empty():
        return []
    if not ctx.same_network:
        return ["the report's figures are for the preset's own network; this one differs, so they are not compared"]
    unknown = [name for name, _ in claims.layer_params if name not in named]
    return [f"the lesson claims counts for {', '.join(unknown)}: no layer with parameters has that name here"] if unknown else []


def parameters(ctx: LessonContext) -> Block:
    """Per layer: out × (in·k·k + 1) for a convolution, out × (in + 1) for a fully-connected layer, 2·C for a
    batch-norm; the total, against the report's figures (``claims``, for the preset's own network) and the engine's."""
    title = "Parameters per layer (weights + biases)"
    if ctx.problem or ctx.plan is None:
        return unavailable("parameters", title, ctx.problem or f"The network breaks: {ctx.table.error if ctx.table else ''}")
    claimed, lines, problems, checks = _claimed(ctx), [], [], []
    rows = {row.name: row for row in ctx.table.rows} if ctx.table else {}
    counted = [(name, *found) for name, spec in ctx.plan if (found := _param_formula(spec)) is not None]
    for name, text, value in counted:
        lines.append(f"{name:<6} {text:<26} = {count(value):>9}{_against(claimed.get(name), value)}")
        if claimed.get(name, value) != value:
            problems.append(f"{name}: the report says {count(claimed[name])}; {text} = {count(value)}")
        if name in rows:
            checks.append(Check(f"{name} parameters", value, rows[name].params))
    total = sum(value for _, _, value in counted)
    report_total = ctx.cfg.lesson.claims.params if ctx.cfg.lesson and ctx.same_network else None
    lines.append(f"{'total':<6} {'':<26}   {count(total):>9}{_against(report_total, total)}")
    if report_total is not None and report_total != total:
        problems.append(f"total: the report says {count(report_total)}; the network has {count(total)}")
    lines += _claim_notes(ctx, {name for name, _, _ in counted})
    if ctx.table is not None:
        checks.append(Check("total parameters", total, ctx.table.total_params))
    return Block.checked("parameters", title, lines, checks, problems)


def _against(claimed: int | None, value: int) -> str:
    """'   report: 56,064 ✗' beside a computed count the report contradicts, else nothing."""
    return f"   report: {count(claimed)} ✗" if claimed is not None and claimed != value else ""


def receptive_field(ctx: LessonContext) -> Block:
    """Per spatial layer: r_l = r_{l−1} + (k_l − 1)·j_{l−1}, j_l = j_{l−1}·s_l, from r_0 = j_0 = 1 (labs 6-7 Q7; the
    report's "kernel × depth" is wrong), checked against the layer table's receptive fields."""
    title = "Receptive field: r = r_prev + (k − 1)·j_prev, j = j_prev·s"
    if (missing := _needs_images(ctx, "receptive_field", title)) is not None:
        return missing
    r, j, lines, checks = 1, 1, ["input  r = 1, j = 1"], []
    for name, spec, _x, row in _sizes(ctx):
        k, s = _pair(spec.kernel_size), _pair(spec.stride or spec.kernel_size)
        before_r, before_j = r, j
        r, j = r + (k - 1) * j, j * s
        lines.append(f"{name:<6} {f'r = {before_r} + ({k} − 1)·{before_j} = {r}':<26} j = {before_j}·{s} = {j}")
        if row is not None and row.receptive_field is not None:
            checks.append(Check(f"{name} receptive field", r, row.receptive_field))
    return Block.checked("receptive_field", title, lines, checks)


def same_padding(ctx: LessonContext) -> Block:
    """Per convolution: the padding (k − 1)/2 that keeps the size at stride 1 (labs 6-7 Q8), the configured one, and
    what the report's (k + 1)/2 would give instead."""
    title = "Padding that keeps the size (stride 1): p = (k − 1)/2"
    if (missing := _needs_images(ctx, "same_padding", title)) is not None:
        return missing
    lines = []
    for name, spec, x, _row in _sizes(ctx):
        if spec.kind != "Conv2d":
            continue
        k, p = _pair(spec.kernel_size), _pair(spec.padding)
        if k % 2 == 0:
            lines.append(f"{name}: k = {k} is even: no padding keeps the size on both sides alike")
            continue
        same, wrong = (k - 1) // 2, (k + 1) // 2
        kept = "keeps the size" if p == same else f"gives {window_out(x, k, p, 1)}"
        lines.append(f"{name}: k = {k}: ({k} − 1)/2 = {same} keeps {x} → {window_out(x, k, same, 1)}; "
                     f"configured p = {p} {kept}")  # fmt: skip
        lines.append(f"       the report's ({k} + 1)/2 = {wrong} would give {window_out(x, k, wrong, 1)}")
    return Block.checked("same_padding", title, lines or ["This network has no convolution."], [])


def crop(ctx: LessonContext) -> Block:
    """The map sizes at the trained crop (or at 28 when the preset does not crop) and where the network would break
    without ``pool_ceil`` (labs 6-7 Q22-25)."""
    title = "Random crop: the map sizes the network sees"
    if (missing := _needs_images(ctx, "crop", title)) is not None:
        return missing
    d = ctx.cfg.data
    cropped = "crop" in d.augment and d.crop_size
    at = ctx if cropped else ctx.with_model(shape=(ctx.input_shape[0], 28, 28))
    lines = [f"trained on random {at.input_shape[1]}×{at.input_shape[2]} crops, centre crop at test" if cropped
             else "this preset does not crop; at a 28×28 crop (data.augment = [\"crop\"], data.crop_size = 28):"]  # fmt: skip
    lines.append(_size_walk(at))
    if at.table is not None and at.table.error:
        fix = "pad the convolutions" if at.cfg.model.pool_ceil else "set model.pool_ceil = true (rounds pooled sizes up) or pad"
        lines.append(f"the network breaks here{' even with pool_ceil' if at.cfg.model.pool_ceil else ''}: {fix}")
    elif at.cfg.model.pool_ceil:
        floor = at.with_model(pool_ceil=False)
        lines.append("without pool_ceil: " + (floor.table.error if floor.table and floor.table.error else "the sizes are the same"))
    return Block.checked("crop", title, lines, [])


def _size_walk(ctx: LessonContext) -> str:
    """'32 → conv1 32 → pool1 16 → …', up to the layer where the network breaks."""
    steps = [str(ctx.input_shape[1])]
    for name, _spec, _x, row in _sizes(ctx):
        if row is None:
            break
        size = row.out_shape[1]
        steps.append(f"{name} {size}" if size > 0 else f"{name} {size} (breaks)")
        if size <= 0:
            break
    return " → ".join(steps)


# f'(h̃) written with the activation's output h where the course does (labs 4-5 Q15-16)
DERIVATIVES = {"tanh": "(1 − h²)", "sigmoid": "h ⊙ (1 − h)", "relu": "1[h̃ > 0]"}
# the gradient of the loss at the output's pre-activation ỹ, softmax included
OUTPUT_GRADIENTS = {
    "cross_entropy": "∇ỹ = ŷ − y",
    "mse": "∇ŷ = 2(ŷ − y), ∇ỹ = ŷ ⊙ (∇ŷ − ⟨∇ŷ, ŷ⟩) (softmax's Jacobian)",
}


def _backward(loss: str, activation: str, hidden: int) -> list[str]:
    """The backward pass of an MLP with ``hidden`` hidden layers, for its loss and activation (per example)."""
    derivative = DERIVATIVES.get(activation, f"{activation}'(h̃)")
    lines = [f"backward: {OUTPUT_GRADIENTS.get(loss, '∇ỹ = ∂L/∂ỹ')}", "          ∇W_y = ∇ỹ hᵀ;  ∇b_y = ∇ỹ"]
    if hidden == 1:
        lines.append(f"          ∇h̃ = (W_yᵀ∇ỹ) ⊙ {derivative};  ∇W_h = ∇h̃ xᵀ;  ∇b_h = ∇h̃")
    elif hidden > 1:
        lines.append(f"          layer l, from the last: ∇h̃_l = (W_(l+1)ᵀ ∇h̃_(l+1)) ⊙ {derivative};  ∇W_l = ∇h̃_l h_(l−1)ᵀ")
    return lines


def mlp_shapes(ctx: LessonContext) -> Block:
    """The MLP's forward pass with its shapes (labs 4-5 Q4-7), the backward formulas (Q13-17) and the parameter count
    n_h·n_x + n_h + n_y·n_h + n_y, checked against the engine's."""
    title = "The perceptron's shapes (one example a column; a batch stacks B rows)"
    if ctx.problem:
        return unavailable("mlp_shapes", title, ctx.problem)
    if ctx.cfg.model.arch != "mlp":
        return unavailable("mlp_shapes", title, "This is a convnet; the quantity is for the labs 4-5 perceptron.")
    widths = [math.prod(ctx.input_shape), *ctx.cfg.model.hidden, ctx.n_classes]
    act = ctx.cfg.model.activation
    lines = [f"n_x = {widths[0]}, hidden {', '.join(map(str, widths[1:-1]))}, n_y = {widths[-1]} (classes)"]
    for i, (n_in, n_out) in enumerate(itertools.pairwise(widths), start=1):
        last = i == len(widths) - 1
        lines.append(f"layer {i}: W {n_out}×{n_in}, b {n_out} → {'softmax' if last else act}: {n_out} values")
    batch = ctx.cfg.train.batch_size or "N"
    lines.append(f"a batch of B = {batch}: X is B×{widths[0]}, the output Ŷ is B×{widths[-1]}")
    lines += _backward(ctx.cfg.train.loss, act, len(widths) - 2)
    total = sum(n_out * n_in + n_out for n_in, n_out in itertools.pairwise(widths))
    lines.append(f"parameters: {' + '.join(f'{o}·{i} + {o}' for i, o in itertools.pairwise(widths))} = {count(total)}")
    checks = [Check("total parameters", total, ctx.table.total_params)] if ctx.table else []
    return Block.checked("mlp_shapes", title, lines, checks)
