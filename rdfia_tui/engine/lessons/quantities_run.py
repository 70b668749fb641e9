"""The training's quantities: steps per epoch (labs 4-5 Q10, labs 6-7 Q16), the loss before training (Q17), the
schedule's learning rates (Q26-28a), momentum's effective step (Q26-27), inverted dropout (Q29-33), ZCA (Q21), and
from the run's epochs: accuracy against the report and the train/test gap (Q18, Q29-34)."""

from __future__ import annotations

import math
from collections.abc import Callable

from rdfia_tui.engine.config import ScheduleConfig
from rdfia_tui.engine.events import EpochMetrics
from rdfia_tui.engine.lessons.blocks import Block, Check
from rdfia_tui.engine.lessons.quantities import LessonContext, count, percent, unavailable
from rdfia_tui.engine.schedules import is_stepped, lr_at

NO_RUN = "No epoch yet: the measured values appear as the run trains."


def no_run(ctx: LessonContext) -> str:
    """What a quantity measured on the run says before the run has the epoch it needs."""
    ended = ctx.facts.ended
    return f"The run ended ({ended}) before it had this epoch: nothing was measured." if ended else NO_RUN


TRAINING_SETS = {"mnist": 60_000, "fashion-mnist": 60_000, "cifar10": 50_000}  # before the validation split


def _train_size(ctx: LessonContext) -> tuple[int, bool] | None:
    """(training examples, exact?): the run's count once it started, else an estimate from the dataset's size."""
    if ctx.facts.n_train:
        return ctx.facts.n_train, True
    d = ctx.cfg.data
    total = d.n_samples if d.dataset in ("circles", "moons") else TRAINING_SETS.get(d.dataset)
    if total is None:
        return None
    total = min(total, d.limit_train) if d.limit_train else total
    return total - round(d.val_split * total), False


def steps_per_epoch(ctx: LessonContext) -> Block:
    """⌈N/B⌉ optimiser steps per epoch: B = 1 is stochastic gradient descent, B = N (batch_size 0) full batch."""
    title = "Steps per epoch: ⌈N / B⌉"
    size = _train_size(ctx)
    if size is None:
        return unavailable("steps_per_epoch", title, "The training set's size is known once the run starts.")
    n, exact = size
    b = ctx.cfg.train.batch_size or n
    kind = "stochastic (one example a step)" if b == 1 else "full batch (one step an epoch)" if b >= n else "mini-batch"
    steps = -(-n // b)
    lines = [f"N = {count(n)} training examples{'' if exact else ' (before the run: an estimate)'}, B = {count(b)}: {kind}",
             f"⌈{count(n)} / {count(b)}⌉ = {count(steps)} steps per epoch, "
             f"{count(steps * ctx.cfg.train.epochs)} in {ctx.cfg.train.epochs} epochs"]  # fmt: skip
    checks = [Check("steps per epoch", steps, ctx.facts.steps_per_epoch)] if exact and ctx.facts.steps_per_epoch else []
    return Block.checked("steps_per_epoch", title, lines, checks)


def expected_initial_loss(loss: str, k: int) -> float:
    """The loss of a network that predicts every class with probability 1/K: ln K for cross-entropy (2.3026 for
    K = 10, labs 6-7 Q17), Σ_j (1/K − y_j)² = (K − 1)/K for the course's softmax-vs-one-hot MSE."""
    return math.log(k) if loss == "cross_entropy" else (k - 1) / k


def initial_loss(ctx: LessonContext) -> Block:
    """The loss and accuracy before training against ln(K) and 1/K (labs 6-7 Q17)."""
    k, loss = ctx.n_classes, ctx.cfg.train.loss
    formula = f"ln({k})" if loss == "cross_entropy" else f"({k} − 1)/{k}"
    title = f"Before training: loss against {'ln(K)' if loss == 'cross_entropy' else '(K − 1)/K (MSE)'}, accuracy against 1/K"
    if not k:
        return unavailable("initial_loss", title, ctx.problem)
    lines = [f"K = {k} classes: a network that has learnt nothing gives {formula} = {expected_initial_loss(loss, k):.4f}",
             f"and guesses right 1/{k} = {percent(1 / k)} of the time"]  # fmt: skip
    first = next((e for e in ctx.epochs if e.epoch == 0), None)
    if first is None:
        lines.append(no_run(ctx))
    else:
        lines.append(f"epoch 0 (measured): loss train {first.train_loss:.4f}, test {first.test_loss:.4f}; "
                     f"accuracy test {percent(first.test_acc)}")  # fmt: skip
    return Block.checked("initial_loss", title, lines, [])


SCHEDULE_FORMULAS: dict[str, Callable[[ScheduleConfig, float, int], tuple[str, Callable[[float], float]]]] = {
    "constant": lambda c, lr0, n: (f"lr_t = lr0 = {lr0:g}", lambda t: lr0),
    "time": lambda c, lr0, n: (f"lr_t = lr0 / (1 + k·t) = {lr0:g} / (1 + {c.decay:g}·t)", lambda t: lr0 / (1 + c.decay * t)),
    "step": lambda c, lr0, n: (
        f"lr_t = lr0 · γ^⌊t / s⌋ = {lr0:g} · {c.gamma:g}^⌊t / {c.step_size}⌋",
        lambda t: lr0 * c.gamma ** (t // c.step_size),
    ),
    "exponential": lambda c, lr0, n: (
        f"lr_t = lr0 · e^(−k·t) = {lr0:g} · e^(−{-math.log(c.gamma):.4g}·t), k = −ln γ",
        lambda t: lr0 * math.exp(math.log(c.gamma) * t),
    ),
    "onecycle": lambda c, lr0, n: (
        f"per step, w = {c.warmup:g}·{n} epochs: lr_t = lr0·(1/25 + 24/25 · t/w) up to t = w, then lr0·(T − t)/(T − w), T = {n}",
        lambda t: lr0 * (1 / 25 + 24 / 25 * t / (c.warmup * n)) if t < c.warmup * n else lr0 * max(0.0, (n - t) / (n - c.warmup * n)),
    ),
}


MAX_ROWS = 14


def _shown_epochs(epochs: int, formula: Callable[[float], float], recorded: dict[int, float]) -> list[int]:
    """The epochs a schedule table lists (1-based): the first three, the last, each where the formula's lr changes
    by more than 1 % (a step schedule's drops), and each where the run's lr left the formula; at most MAX_ROWS,
    the first ones kept."""
    changes = [e for e in range(2, epochs + 1) if not math.isclose(formula(e - 1), formula(e - 2), rel_tol=0.01)]
    off = [e for e, lr in recorded.items() if not math.isclose(lr, formula(e - 1), rel_tol=1e-6)]
    wanted = sorted({1, 2, 3, epochs, *changes[: MAX_ROWS // 2], *off[:2]})
    return [e for e in wanted if 1 <= e <= epochs][:MAX_ROWS]


def schedule(ctx: LessonContext) -> Block:
    """The learning rate of each epoch by the schedule's formula (labs 6-7 Q28a; t = epoch − 1), checked against the
    engine's ``lr_at`` and against the lr the run recorded."""
    cfg = ctx.cfg
    n = cfg.train.epochs
    text, formula = SCHEDULE_FORMULAS[cfg.schedule.name](cfg.schedule, cfg.optim.lr, n)
    recorded = {e.epoch: e.lr for e in ctx.epochs if e.epoch >= 1}
    lines, checks, before = [f"{cfg.schedule.name}: {text}", "epoch   t   formula      run"], [], 0
    if is_stepped(cfg.schedule):
        lines.insert(1, "the lr changes at every step; each row is the epoch's first step")
    for epoch in _shown_epochs(n, formula, recorded):
        if epoch > before + 1:
            lines.append("  …")
        before, value = epoch, formula(epoch - 1)
        checks.append(Check(f"lr at epoch {epoch}", value, lr_at(cfg.schedule, cfg.optim.lr, epoch - 1, n)))
        ran = f"{recorded[epoch]:.4g}" if epoch in recorded else "—"
        lines.append(f"{epoch:>5} {epoch - 1:>3}   {value:<10.4g}   {ran}")
    changed = [e for e, lr in recorded.items() if not math.isclose(lr, formula(e - 1), rel_tol=1e-6)]
    if changed:
        lines.append(f"from epoch {min(changed)} the run's lr differs from the schedule:")
        lines.append("it was set by hand while the run trained (the l key, or rdfia-tui control)")
    return Block.checked("schedule", "Learning rate per epoch (per step within it)", lines, checks)


def momentum(ctx: LessonContext) -> Block:
    """SGD with momentum μ: v ← μv + ∇, w ← w − lr·v, so a steady gradient moves w by lr/(1 − μ) a step (Q26-27)."""
    o = ctx.cfg.optim
    title = "Momentum: v ← μ·v + ∇L, w ← w − lr·v"
    if o.name != "sgd":
        return Block.checked("momentum", title, [f"optimiser {o.name}: its own running averages replace momentum "
                                                 "(see optim.beta1 / rho / alpha)"], [])  # fmt: skip
    if o.momentum == 0:
        return Block.checked("momentum", title, [f"no momentum: each step moves w by lr·∇L = {o.lr:g}·∇L"], [])
    effective = f"{o.lr:g}/{1 - o.momentum:.3g} = {o.lr / (1 - o.momentum):.4g}"
    lines = [f"μ = {o.momentum:g}: a steady gradient moves w by lr/(1 − μ) = {effective} per step",
             f"it averages about 1/(1 − μ) = {1 / (1 - o.momentum):.3g} steps of gradients"]  # fmt: skip
    if o.nesterov:
        lines.append("Nesterov: the gradient is taken at the look-ahead point w − lr·μ·v")
    return Block.checked("momentum", title, lines, [])


def dropout_scale(ctx: LessonContext) -> Block:
    """Inverted dropout (PyTorch's): at training each unit is kept with probability 1 − p and scaled by 1/(1 − p);
    at test (model.eval()) nothing changes (labs 6-7 Q29-33)."""
    p = ctx.cfg.model.dropout if ctx.cfg.model.arch == "convnet" else 0.0
    title = "Dropout, inverted: kept units × 1/(1 − p) in training, identity at test"
    if p == 0:
        return Block.checked("dropout_scale", title, ["no dropout in this preset (model.dropout = 0)"], [])
    lines = [f"p = {p:g}: each unit is zeroed with probability {p:g}; the kept ones × 1/(1 − {p:g}) = {1 / (1 - p):.4g}",
             "so the expected activation is the same in training and at test, where dropout does nothing",
             f"(the original formulation instead multiplies by 1 − p = {1 - p:g} at test)"]  # fmt: skip
    return Block.checked("dropout_scale", title, lines, [])


def zca(ctx: LessonContext) -> Block:
    """ZCA whitening x ↦ U diag(1/√(λ + ε)) Uᵀ (x − μ) from the training covariance's eigen-decomposition (Q21)."""
    d = math.prod(ctx.input_shape) if ctx.input_shape else 0
    title = "ZCA whitening: x ↦ U diag(1/√(λ + ε)) Uᵀ (x − μ)"
    lines = [f"Σ = U diag(λ) Uᵀ is the {count(d)}×{count(d)} covariance of the training pixels" if d else "Σ = U diag(λ) Uᵀ",
             f"ε = {ctx.cfg.data.zca_eps:g} keeps the smallest eigenvalues from blowing up the noise",
             "the result has (nearly) identity covariance: the pixels are decorrelated, not re-weighted",
             f"this preset: data.zca = {str(ctx.cfg.data.zca).lower()}"]  # fmt: skip
    return Block.checked("zca", title, lines, [])


def _best(epochs: list[EpochMetrics]) -> EpochMetrics:
    return max(epochs, key=lambda e: (e.test_acc, -e.epoch))


def accuracy(ctx: LessonContext) -> Block:
    """The run's final and best test accuracy, and final train accuracy, beside the report's figures."""
    title = "Accuracy: this run against the report"
    claims = ctx.cfg.lesson.claims if ctx.cfg.lesson else None
    lines = []
    if claims is not None and (claims.test_acc is not None or claims.train_acc is not None):
        said = [f"{what} {percent(v)}" for what, v in (("test", claims.test_acc), ("train", claims.train_acc)) if v is not None]
        lines.append(f"report: {', '.join(said)}{'' if ctx.as_written else ' (for the preset as written; this config differs)'}")
    trained = [e for e in ctx.epochs if e.epoch >= 1 and math.isfinite(e.test_acc)]
    if not trained:
        return Block.checked("accuracy", title, [*lines, no_run(ctx)], [])
    last, best = trained[-1], _best(trained)
    lines.append(f"this run, epoch {last.epoch}: test {percent(last.test_acc)}, train {percent(last.train_acc)}; "
                 f"best test {percent(best.test_acc)} at epoch {best.epoch}")  # fmt: skip
    if claims is not None and claims.test_acc is not None:
        lines.append(f"difference from the report's test figure: {100 * (last.test_acc - claims.test_acc):+.1f} points")
    return Block.checked("accuracy", title, lines, [])


def gap(ctx: LessonContext) -> Block:
    """Train minus test accuracy and test minus train loss, now and at the best test epoch; where test stopped
    improving while train went on (over-fitting, Q18)."""
    title = "Train/test gap"
    trained = [e for e in ctx.epochs if e.epoch >= 1 and math.isfinite(e.test_acc)]
    if not trained:
        return Block.checked("gap", title, [no_run(ctx)], [])
    last, best = trained[-1], _best(trained)
    points, losses = 100 * (last.train_acc - last.test_acc), last.test_loss - last.train_loss
    lines = [f"epoch {last.epoch}: train {percent(last.train_acc)} − test {percent(last.test_acc)} = "
             f"{points:+.1f} points; loss test − train = {losses:+.3f}"]  # fmt: skip
    if best.epoch < last.epoch:
        rise = 100 * (last.train_acc - best.train_acc)
        lines.append(f"test peaked at epoch {best.epoch} ({percent(best.test_acc)}); since then train {rise:+.1f} points, "
                     f"test {100 * (last.test_acc - best.test_acc):+.1f}")  # fmt: skip
    else:
        lines.append("test accuracy is still at its best: no sign of over-fitting yet")
    return Block.checked("gap", title, lines, [])
