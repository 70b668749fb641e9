"""Lessons: the [lesson] table of a preset, the quantities it names checked against the engine (layer table, torch's
own modules, a real run's epoch-0 loss, lr_at), `rdfia-tui lesson`, and the console's Lesson tab."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from helpers import Recorder, circles
from tui_fakes import ScriptedEngine, make_app, ready, type_into, wait_for

from rdfia_tui.cli.main import main
from rdfia_tui.engine.catalog import STEPPED_SCHEDULES
from rdfia_tui.engine.config import ConfigError, apply_overrides, dumps
from rdfia_tui.engine.events import EpochEnded, EpochMetrics
from rdfia_tui.engine.lessons.lesson import QUANTITY_NAMES
from rdfia_tui.engine.lessons.quantities import QUANTITIES, LessonContext
from rdfia_tui.engine.lessons.quantities_run import SCHEDULE_FORMULAS, expected_initial_loss
from rdfia_tui.engine.lessons.view import RunFacts, lesson_view
from rdfia_tui.engine.models import build_model
from rdfia_tui.engine.presets import load, load_preset, loads, preset_names
from rdfia_tui.engine.schedules import lr_at
from rdfia_tui.engine.training import fit

LESSON = """
[lesson]
lab = "6-7"
questions = ["Q10", "Q11"]
question = "How many parameters?"
watch = "The total."
show = ["parameters", "output_size"]

[lesson.claims]
params = 235970
layer_params = { conv2 = 56064 }
test_acc = 0.6

[[lesson.errata]]
question = "Q10"
report = "conv2 has 56,064 parameters."
correct = "conv2 has 51,264."
"""


def _checks(view, name: str) -> dict[str, float]:
    """The lesson formula's values of one quantity, by label."""
    block = next(b for b in view.blocks if b.name == name)
    return {c.label: c.formula for c in block.checks}


# ---- the lesson table -----------------------------------------------------------------------------------
def test_the_registry_holds_every_quantity_a_lesson_may_name() -> None:
    assert set(QUANTITIES.names()) == set(QUANTITY_NAMES)


def test_every_shipped_preset_has_a_lesson_whose_formulas_agree_with_the_engine() -> None:
    for name in preset_names():
        cfg = load_preset(name)
        assert cfg.lesson is not None, f"{name} has no [lesson]"
        assert cfg.lesson.show, f"{name}'s lesson shows no quantity"
        view = lesson_view(cfg)
        for block in view.blocks:
            assert all(c.agrees for c in block.checks), (name, block.name, [c for c in block.checks if not c.agrees])
            # a problem is a report's figure the console contradicts, never a formula the engine disagrees with
            assert not any("the engine" in p for p in block.problems), (name, block.problems)


def test_a_lesson_round_trips_through_a_run_folders_config_and_is_not_inherited(tmp_path: Path) -> None:
    cfg = loads(f'base = "cifar10-convnet"\nname = "mine"\n{LESSON}', folder=tmp_path)
    assert cfg.lesson.claims.layer_params == (("conv2", 56064),) and cfg.lesson.errata[0].correct == "conv2 has 51,264."
    (tmp_path / "config.toml").write_text(dumps(cfg), encoding="utf-8")
    assert load(tmp_path / "config.toml").lesson == cfg.lesson
    (tmp_path / "child.toml").write_text('base = "mine.toml"\nname = "child"\n[optim]\nlr = 0.05\n', encoding="utf-8")
    (tmp_path / "mine.toml").write_text(dumps(cfg), encoding="utf-8")
    assert load(tmp_path / "child.toml").lesson is None  # a preset that changes another answers another question
    assert cfg.to_dict() == replace(cfg, lesson=None).to_dict()  # config diffs and sweep identities never see it


@pytest.mark.parametrize(
    ("table", "fragment"),
    [
        ('lab = "6-7"', "lesson: missing questions, question, watch"),
        ('lab = "8"\nquestions = ["Q1"]\nquestion = "q"\nwatch = "w"', "lesson.lab: expected one of 4-5, 6-7"),
        ('lab = "6-7"\nquestions = []\nquestion = "q"\nwatch = "w"', "lesson.questions: expected a non-empty list"),
        ('lab = "6-7"\nquestions = ["Q1"]\nquestion = "q"\nwatch = "w"\nshow = ["paramters"]', "did you mean 'parameters'"),
        ('lab = "6-7"\nquestions = ["Q1"]\nquestion = "q"\nwatch = "w"\nclaims = { test_acc = 60 }', "0-1 fraction (0.6 for 60 %)"),
        ('lab = "6-7"\nquestions = ["Q1"]\nquestion = "q"\nwatch = "w"\nwatchh = "x"', "unknown key 'lesson.watchh'"),
    ],
)
def test_a_bad_lesson_is_one_line_naming_the_key(table: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as exc:
        loads(f"[lesson]\n{table}\n", source="mine.toml")
    assert fragment in str(exc.value) and "\n" not in str(exc.value)


def test_the_reports_figures_are_shown_wrong_where_the_console_computes_otherwise() -> None:
    view = lesson_view(loads(f'base = "cifar10-convnet"\n{LESSON}'))
    problems = [p for b in view.blocks for p in b.problems]
    assert "conv2: the report says 56,064; 64 × (32·5·5 + 1) = 51,264" in problems
    assert "total: the report says 235,970; the network has 231,170" in problems


# ---- the formulas against torch and the engine ----------------------------------------------------------
NETWORKS = [
    ("cifar10-convnet", []),
    ("cifar10-augmented", []),  # 28×28 crops, pool_ceil
    ("cifar10-best", []),  # padded convolutions, batch-norm, dropout
    ("cifar10-convnet", ["model.conv_kernels=[3,7,4]", "model.conv_paddings=[1,3,0]", "model.pool_size=3", "model.pool_ceil=true"]),
    ("cifar10-convnet", ['data.augment=["crop"]', "data.crop_size=27", "model.pool_ceil=true", "model.fc=[64,32]"]),
]


@pytest.mark.parametrize(("preset", "overrides"), NETWORKS)
def test_output_sizes_parameters_and_receptive_fields_match_torchs_modules(preset: str, overrides: list[str]) -> None:
    cfg = apply_overrides(load_preset(preset), overrides)
    view = lesson_view(replace(cfg, lesson=None))  # the default quantities of a convnet
    context = LessonContext.build(cfg, (), RunFacts())
    model = build_model(cfg.model, context.input_shape, context.n_classes).eval()
    shapes: dict[str, tuple[int, ...]] = {}
    for name, module in model.named_children():
        module.register_forward_hook(lambda m, i, out, name=name: shapes.__setitem__(name, tuple(out.shape[1:])))
    with torch.no_grad():
        model(torch.zeros(2, *context.input_shape))
    sizes, params = _checks(view, "output_size"), _checks(view, "parameters")
    for label, value in sizes.items():
        assert shapes[label.split()[0]][1] == value, label  # torch's own floor / ceil arithmetic
    for name, module in model.named_children():
        counted = sum(p.numel() for p in module.parameters())
        if counted:
            assert params[f"{name} parameters"] == counted, name
    assert params["total parameters"] == sum(p.numel() for p in model.parameters())
    fields = _checks(view, "receptive_field")
    assert fields  # and each equals the layer table's (the view's checks agree: see the shipped-presets test)


def test_the_course_network_has_the_corrected_figures() -> None:
    view = lesson_view(replace(load_preset("cifar10-convnet"), lesson=None))
    params = _checks(view, "parameters")
    assert params["conv2 parameters"] == 51_264 and params["total parameters"] == 231_170  # not 56,064 / 235,970
    fields = _checks(view, "receptive_field")
    assert [fields[f"{n} receptive field"] for n in ("conv1", "pool1", "conv2", "pool2", "conv3", "pool3")] == [5, 6, 14, 16, 32, 36]


def test_same_padding_is_k_minus_one_over_two() -> None:
    cfg = apply_overrides(load_preset("cifar10-convnet"), ["model.conv_kernels=[3,5,7]", "model.conv_paddings=[1,2,3]"])
    block = next(b for b in lesson_view(replace(cfg, lesson=None, model=cfg.model)).blocks if b.name == "output_size")
    assert [line.split("= ")[-1] for line in block.lines[1::2]] == ["32", "16", "8"]  # each padded conv keeps its input's size
    text = QUANTITIES.get("same_padding")(LessonContext.build(cfg, (), RunFacts())).lines
    assert "conv1: k = 3: (3 − 1)/2 = 1 keeps 32 → 32; configured p = 1 keeps the size" in text
    assert "       the report's (3 + 1)/2 = 2 would give 34" in text


@pytest.mark.parametrize("name", sorted(SCHEDULE_FORMULAS))
def test_each_schedules_formula_is_the_engines_lr_at(name: str) -> None:
    cfg = apply_overrides(load_preset("cifar10-momentum"), [f"schedule.name={name}", "schedule.gamma=0.7", "schedule.step_size=3",
                                                            "schedule.decay=0.25"])  # fmt: skip
    _, formula = SCHEDULE_FORMULAS[name](cfg.schedule, cfg.optim.lr, 60)
    for t in [i / 4 for i in range(240)] if name in STEPPED_SCHEDULES else range(60):  # a stepped one part-way through epochs too
        assert formula(t) == pytest.approx(lr_at(cfg.schedule, cfg.optim.lr, t, 60), rel=1e-12, abs=1e-15), t


@pytest.mark.parametrize("name", ["step", "onecycle"])
def test_a_real_run_starts_at_ln_k_and_uses_the_schedules_lr(name: str, runs_dir: Path) -> None:
    recorder = Recorder()
    cfg = circles(f"schedule.name={name}", "schedule.step_size=2", "schedule.gamma=0.5", "train.epochs=5")
    fit(cfg, recorder, runs_dir=runs_dir)
    epochs = recorder.epochs()
    assert epochs[0].train_loss == pytest.approx(math.log(2), rel=0.05)  # a network that has learnt nothing
    view = lesson_view(cfg, epochs)
    schedule = next(b for b in view.blocks if b.name == "schedule")
    assert not any("differs" in line for line in schedule.lines)
    _, formula = SCHEDULE_FORMULAS[name](cfg.schedule, cfg.optim.lr, cfg.train.epochs)
    assert [e.lr for e in epochs[1:]] == pytest.approx([formula(e.epoch - 1) for e in epochs[1:]])
    initial = next(b for b in view.blocks if b.name == "initial_loss")
    assert f"epoch 0 (measured): loss train {epochs[0].train_loss:.4f}" in "\n".join(initial.lines)


def test_the_mse_loss_before_training_is_k_minus_one_over_k(runs_dir: Path) -> None:
    recorder = Recorder()
    fit(circles("train.loss=mse", "train.epochs=0"), recorder, runs_dir=runs_dir)
    assert recorder.epochs()[0].test_loss == pytest.approx(expected_initial_loss("mse", 2), rel=0.05)


def test_cifar10_before_training_gives_ln_10(runs_dir: Path, shared_data: Path) -> None:
    cfg = apply_overrides(load_preset("cifar10-convnet"), ["train.epochs=0", "data.limit_train=1000", "train.device=cpu"])
    recorder = Recorder()
    fit(cfg, recorder, runs_dir=runs_dir, data_root=shared_data)
    first = recorder.epochs()[0]
    assert first.test_loss == pytest.approx(math.log(10), rel=0.02) and first.test_acc == pytest.approx(0.1, abs=0.03)


def test_accuracy_and_gap_follow_the_epochs() -> None:
    shown = LESSON.replace('show = ["parameters", "output_size"]', 'show = ["accuracy", "gap"]')
    cfg = loads(f'base = "cifar10-convnet"\n{shown}')
    rows = [EpochMetrics(e, 1.0, tr, 1.0, te, 1.2, te, 0.1, 1.0, 100.0) for e, tr, te in [(0, 0.1, 0.1), (1, 0.5, 0.5), (2, 0.7, 0.66),
                                                                                         (3, 0.9, 0.6)]]  # fmt: skip
    accuracy, gap = lesson_view(cfg, rows).blocks
    assert "this run, epoch 3: test 60.0 %, train 90.0 %; best test 66.0 % at epoch 2" in accuracy.lines
    assert "difference from the report's test figure: +0.0 points" in accuracy.lines
    assert gap.lines[0].startswith("epoch 3: train 90.0 % − test 60.0 % = +30.0 points")
    assert gap.lines[1] == "test peaked at epoch 2 (66.0 %); since then train +20.0 points, test -6.0"


# ---- rdfia-tui lesson -----------------------------------------------------------------------------------
def test_the_lesson_command_prints_the_lesson_and_follows_set(capsys: pytest.CaptureFixture) -> None:
    assert main(["lesson", "cifar10-convnet", "--set", "model.conv_paddings=[2,2,2]"]) == 0
    out = capsys.readouterr().out
    lesson = load_preset("cifar10-convnet").lesson
    assert out.startswith(f"cifar10-convnet · {lesson.heading}") and "Question:" in out
    assert re.search(r"conv2 +⌊\(16 − 5 \+ 2·2\)/1⌋ \+ 1 = 16", out)  # the --set padding, not the preset's


def test_the_lesson_of_a_run_has_its_measured_values(runs_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    shown = LESSON.replace('lab = "6-7"', 'lab = "4-5"').replace(
        'show = ["parameters", "output_size"]', 'show = ["initial_loss", "accuracy"]'
    )
    (tmp_path / "mine.toml").write_text(f'base = "circles-mlp"\n[train]\nepochs = 2\ndevice = "cpu"\n{shown}', encoding="utf-8")
    recorder = Recorder()
    fit(load(tmp_path / "mine.toml"), recorder, runs_dir=runs_dir)
    assert main(["lesson", "--run", "latest", "--runs-dir", str(runs_dir)]) == 0
    out = capsys.readouterr().out
    first, last = recorder.epochs()[0], recorder.epochs()[-1]
    assert out.startswith("mine · Labs 4-5, Q10, Q11")  # the lesson the run was started with, from its config.toml
    assert f"epoch 0 (measured): loss train {first.train_loss:.4f}" in out
    assert f"this run, epoch 2: test {100 * last.test_acc:.1f} %" in out


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["lesson"], "name a preset"),
        (["lesson", "circles-mlp", "--run", "latest"], "not both"),
        (["lesson", "nope"], "no preset named 'nope'"),
    ],
)
def test_lesson_command_mistakes_are_one_line(argv: list[str], fragment: str, capsys: pytest.CaptureFixture) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err and len(err.strip().splitlines()) == 1


# ---- the console's Lesson tab ---------------------------------------------------------------------------
async def test_the_lesson_tab_follows_the_form_and_the_run(tmp_path: Path) -> None:
    engine = ScriptedEngine(steps=2, step_delay=0.02, hold_after_epoch=1)
    app = make_app(tmp_path, engine, preset="cifar10-convnet", overrides=["train.epochs=3"])
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        panel = app.main.lesson_panel
        await pilot.press("n")
        assert app.main.panels.active == "tab-lesson"
        await wait_for(pilot, lambda: "conv2  ⌊(16 − 5 + 2·0)/1⌋ + 1 = 12" in panel.plain())
        await type_into(pilot, app, "model.conv_paddings", "2, 2, 2")
        await wait_for(pilot, lambda: "conv2  ⌊(16 − 5 + 2·2)/1⌋ + 1 = 16" in panel.plain())
        await pilot.press("s")
        sent = lambda: [e.metrics for e in engine.events if isinstance(e, EpochEnded)]  # noqa: E731
        await wait_for(pilot, lambda: len(sent()) >= 2 and f"this run, epoch {sent()[-1].epoch}: test" in panel.plain())
        assert f"epoch 0 (measured): loss train {sent()[0].train_loss:.4f}" in panel.plain()
        await pilot.press("x")
        await wait_for(pilot, lambda: not app.running)


# ---- after a new user's trial ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('name = "x\\u001b[31m"', "name"),
        ('description = "ok\\u0007"', "description"),
        ('[lesson]\nlab = "6-7"\nquestions = ["Q4\\u001b]0;PWNED\\u0007"]\nquestion = "q"\nwatch = "w"', "lesson.questions"),
        ('[lesson]\nlab = "6-7"\nquestions = ["Q4"]\nquestion = "a \\u202e reversed"\nwatch = "w"', "lesson.question"),
    ],
)
def test_text_that_would_act_on_the_terminal_is_refused(text: str, key: str) -> None:
    with pytest.raises(ConfigError) as exc:
        loads(text + "\n", source="mine.toml")
    assert f"{key}: contains a control character (U+" in str(exc.value)
    assert "\x1b" not in str(exc.value) and "\u202e" not in str(exc.value)


def test_a_quoted_key_with_an_escape_is_shown_not_sent_to_the_terminal(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "p.toml").write_text('[optim]\n"l\\u001b[2Jr" = 1\n', encoding="utf-8")
    assert main(["layers", str(tmp_path / "p.toml")]) == 2
    err = capsys.readouterr().err
    assert "unknown key 'optim.l\\x1b[2Jr'" in err and "\x1b" not in err


def test_a_lesson_stays_short_enough_to_read() -> None:
    with pytest.raises(ConfigError, match=r"lesson.question: 2,001 characters; a lesson's text is at most 2,000"):
        loads(f'[lesson]\nlab = "6-7"\nquestions = ["Q1"]\nquestion = "{"x" * 2001}"\nwatch = "w"\n')
    with pytest.raises(ConfigError, match=r"lesson.errata: missing correct \(an erratum needs question, report, correct\)"):
        loads('[lesson]\nlab = "6-7"\nquestions = ["Q1"]\nquestion = "q"\nwatch = "w"\n[[lesson.errata]]\nquestion = "Q1"\nreport = "r"\n')


def test_the_reports_figures_are_not_compared_once_the_network_changes() -> None:
    shipped = load_preset("cifar10-convnet")
    changed = apply_overrides(shipped, ["model.conv_paddings=[2,2,2]"])
    block = next(b for b in lesson_view(changed, reference=shipped).blocks if b.name == "parameters")
    assert not block.problems and not any("✗" in line for line in block.lines)
    assert "the report's figures are for the preset's own network; this one differs, so they are not compared" in block.lines
    same = next(b for b in lesson_view(apply_overrides(shipped, ["optim.lr=0.05"])).blocks if b.name == "parameters")
    assert len(same.problems) == 2  # another lr, the same network: conv2 and the total are still the report's errors


def test_a_claim_for_a_layer_the_network_lacks_is_said() -> None:
    cfg = loads('base = "cifar10-convnet"\n' + LESSON.replace("conv2 = 56064", "conv9 = 5"))
    block = next(b for b in lesson_view(cfg).blocks if b.name == "parameters")
    assert "the lesson claims counts for conv9: no layer with parameters has that name here" in block.lines


@pytest.mark.parametrize(("loss", "activation"), [("cross_entropy", "tanh"), ("mse", "sigmoid"), ("mse", "relu")])
def test_the_backward_formulas_shown_are_autograds(loss: str, activation: str) -> None:
    from rdfia_tui.engine.losses import cross_entropy, mse

    torch.manual_seed(0)
    x, y = torch.randn(5, 3, dtype=torch.float64), torch.tensor([0, 1, 2, 1, 0])
    w_h, w_y = torch.randn(4, 3, dtype=torch.float64, requires_grad=True), torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    f = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu}[activation]
    h_pre = x @ w_h.T
    h = f(h_pre)
    out = h @ w_y.T
    out.retain_grad()
    (cross_entropy if loss == "cross_entropy" else mse)(out, y).backward()
    p, onehot = torch.softmax(out.detach(), 1), torch.nn.functional.one_hot(y, 3).double()
    if loss == "cross_entropy":  # ∇ỹ = ŷ − y
        g_out = p - onehot
    else:  # ∇ŷ = 2(ŷ − y), ∇ỹ = ŷ ⊙ (∇ŷ − ⟨∇ŷ, ŷ⟩)
        g_p = 2 * (p - onehot)
        g_out = p * (g_p - (g_p * p).sum(1, keepdim=True))
    derivative = {"tanh": 1 - h.detach() ** 2, "sigmoid": h.detach() * (1 - h.detach()), "relu": (h_pre.detach() > 0).double()}
    g_h = (g_out @ w_y.detach()) * derivative[activation]  # ∇h̃ = (W_yᵀ∇ỹ) ⊙ f'(h̃)
    assert torch.allclose(out.grad * len(y), g_out, atol=1e-12)  # the loss is a batch mean
    assert torch.allclose(w_y.grad * len(y), g_out.T @ h.detach(), atol=1e-12)  # ∇W_y = ∇ỹ hᵀ
    assert torch.allclose(w_h.grad * len(y), g_h.T @ x, atol=1e-12)  # ∇W_h = ∇h̃ xᵀ
    cfg = apply_overrides(load_preset("circles-mlp"), [f"train.loss={loss}", f"model.activation={activation}"])
    shown = "\n".join(QUANTITIES.get("mlp_shapes")(LessonContext.build(cfg, (), RunFacts())).lines)
    assert {"tanh": "(1 − h²)", "sigmoid": "h ⊙ (1 − h)", "relu": "1[h̃ > 0]"}[activation] in shown
    assert ("∇ŷ = 2(ŷ − y)" in shown) == (loss == "mse")


def test_the_schedule_table_shows_every_drop_and_an_lr_set_by_hand() -> None:
    cfg = load_preset("cifar10-best")  # step: × 0.2 every 10 epochs, 30 epochs
    rows = [EpochMetrics(e, 1.0, 0.5, 1.0, 0.5, 1.0, 0.5, lr_at(cfg.schedule, cfg.optim.lr, max(e - 1, 0)), 1.0, 1.0) for e in range(20)]
    rows[19] = replace(rows[19], lr=0.007)
    block = next(b for b in lesson_view(cfg, rows).blocks if b.name == "schedule")
    epochs = [int(line.split()[0]) for line in block.lines[2:] if line.strip()[0].isdigit()]
    assert {1, 11, 19, 21, 30} <= set(epochs) and "  …" in block.lines
    assert "from epoch 19 the run's lr differs from the schedule:" in block.lines


def test_a_run_that_ended_before_training_says_so(runs_dir: Path, capsys: pytest.CaptureFixture) -> None:
    from rdfia_tui.engine.control import RunControl

    control = RunControl()
    control.stop.set()
    fit(apply_overrides(load_preset("circles-mlp"), ["train.device=cpu"]), control=control, runs_dir=runs_dir)
    assert main(["lesson", "--run", "latest", "--runs-dir", str(runs_dir)]) == 0
    assert "The run ended (stopped) before it had this epoch: nothing was measured." in capsys.readouterr().out


async def test_the_lesson_tab_stays_and_hides_another_runs_measurements(tmp_path: Path) -> None:
    engine = ScriptedEngine(steps=2, step_delay=0.02)
    app = make_app(tmp_path, engine, preset="circles-mlp", overrides=["train.epochs=2"])
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        panel = app.main.lesson_panel
        await pilot.press("n", "s")  # the tab chosen before the run stays when it starts (and its plane arrives)
        await wait_for(pilot, lambda: app.last_status == "completed" and not app.running)
        assert app.main.panels.active == "tab-lesson"
        first = next(e.metrics for e in engine.events if isinstance(e, EpochEnded))
        assert f"epoch 0 (measured): loss train {first.train_loss:.4f}" in panel.plain()
        await type_into(pilot, app, "model.hidden", "8")  # another network: not the run's measurements any more
        await wait_for(pilot, lambda: "measured values are hidden" in panel.plain())
        assert "epoch 0 (measured)" not in panel.plain() and app.main.panels.active == "tab-lesson"
        await type_into(pilot, app, "model.hidden", "0")
        await wait_for(pilot, lambda: "The form has an error" in panel.plain())


def test_a_run_folder_given_as_a_preset_is_pointed_to_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "summary.json").write_text("{}", encoding="utf-8")
    assert main(["lesson", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and f"rdfia-tui lesson --run {tmp_path}" in err
