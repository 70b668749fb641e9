"""train.precision, train.channels_last, train.compile and train.cuda_graphs: resolution and effect."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

from rdfia_tui.engine.config import RunConfig, apply_overrides, field_specs
from rdfia_tui.engine.errors import ConfigError
from rdfia_tui.engine.events import Notice, RunStarted
from rdfia_tui.engine.models import build_model
from rdfia_tui.engine.presets import load_preset
from rdfia_tui.engine.runs.summary import read_summary
from rdfia_tui.engine.speed import PRECISIONS, Autocast, cpu_has_native_bf16, resolve_speed
from rdfia_tui.engine.training import fit
from tests.helpers import Recorder, make_npz, tiny_cfg

CPU = torch.device("cpu")


def spec(key: str):
    return next(s for s in field_specs() if s.key == key)


def test_every_precision_choice_is_registered() -> None:
    assert set(spec("train.precision").choices) == set(PRECISIONS.names())


@pytest.mark.parametrize(
    ("flags", "native"),
    [("fpu avx2 avx512f", False), ("fpu avx512f avx512_bf16", True), ("fpu amx_bf16 amx_tile", True)],
)
def test_native_bf16_is_read_from_the_cpu_flags(tmp_path: Path, flags: str, native: bool) -> None:
    info = tmp_path / f"cpuinfo-{native}-{len(flags)}"
    info.write_text(f"processor\t: 0\nflags\t\t: {flags}\n")
    assert cpu_has_native_bf16(str(info)) is native


def test_missing_cpuinfo_means_no_native_bf16(tmp_path: Path) -> None:
    assert cpu_has_native_bf16(str(tmp_path / "absent")) is False


def convnet_and_cfg(*overrides: str) -> tuple[RunConfig, torch.nn.Module]:
    cfg = apply_overrides(load_preset("cifar10-convnet"), list(overrides))
    return cfg, build_model(cfg.model, (3, 32, 32), 10)


def test_auto_uses_channels_last_for_convnets_only() -> None:
    cfg, net = convnet_and_cfg()
    assert resolve_speed(cfg, CPU, net).channels_last
    mlp_cfg = load_preset("circles-mlp")
    assert not resolve_speed(mlp_cfg, CPU, build_model(mlp_cfg.model, (2,), 2)).channels_last
    off_cfg, _ = convnet_and_cfg("train.channels_last=off")
    assert not resolve_speed(off_cfg, CPU, net).channels_last


def test_channels_last_on_an_mlp_is_explained() -> None:
    cfg = apply_overrides(load_preset("circles-mlp"), ["train.channels_last=on"])
    speed = resolve_speed(cfg, CPU, build_model(cfg.model, (2,), 2))
    assert not speed.channels_last
    assert any("no convolution" in note for note in speed.notes)


def test_auto_precision_on_cpu_follows_the_native_bf16_flag() -> None:
    cfg, net = convnet_and_cfg()
    expected = torch.bfloat16 if cpu_has_native_bf16() else None
    assert resolve_speed(cfg, CPU, net).autocast == expected


def test_bf16_on_cpu_is_honoured_and_warns_when_emulated() -> None:
    cfg, net = convnet_and_cfg("train.precision=bf16")
    speed = resolve_speed(cfg, CPU, net)
    assert speed.autocast == torch.bfloat16
    assert any("no native bf16" in n for n in speed.notes) is (not cpu_has_native_bf16())


def test_float64_and_hand_written_impls_never_autocast() -> None:
    cfg = apply_overrides(load_preset("circles-manual"), ["train.precision=auto"])
    assert resolve_speed(cfg, CPU, build_model(cfg.model, (2,), 2)).autocast is None


@pytest.mark.parametrize(
    ("preset", "overrides", "key"),
    [
        ("circles-mlp", ["train.dtype=float64", "train.precision=bf16"], "train.precision"),
        ("circles-manual", ["train.precision=bf16"], "train.precision"),
        ("circles-manual", ["train.compile=true"], "train.compile"),
        ("circles-autograd", ["train.cuda_graphs=true"], "train.cuda_graphs"),
    ],
)
def test_impossible_speed_settings_are_config_errors(preset: str, overrides: list[str], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        apply_overrides(load_preset(preset), overrides)
    assert info.value.key == key


def test_cuda_graphs_off_cuda_are_ignored_with_a_note() -> None:
    cfg, net = convnet_and_cfg("train.cuda_graphs=true")
    speed = resolve_speed(cfg, CPU, net)
    assert speed.compile_mode is None
    assert any("cuda_graphs" in n for n in speed.notes)
    compiled, _ = convnet_and_cfg("train.compile=true")
    assert resolve_speed(compiled, CPU, net).compile_mode == "default"


def test_autocast_wrapper_shares_parameters_and_returns_float32() -> None:
    _, net = convnet_and_cfg()
    wrapped = Autocast(net, "cpu", torch.bfloat16)
    x = torch.rand(2, 3, 32, 32)
    out, reference = wrapped(x), net(x)
    assert out.dtype == torch.float32
    assert [p.data_ptr() for p in wrapped.parameters()] == [p.data_ptr() for p in net.parameters()]
    assert not torch.equal(out, reference)  # computed in bf16 ...
    assert torch.allclose(out, reference, atol=0.05)  # ... yet the same network


def run(tmp_path: Path, runs_dir: Path, *overrides: str):
    data = make_npz(tmp_path / "tiny.npz", [48, 48, 48], [16, 16, 16], size=8)
    events = Recorder()
    result = fit(dataclasses.replace(tiny_cfg(data, "train.epochs=3", *overrides)), events, runs_dir=runs_dir)
    assert result.status == "completed", result.message
    return result, events


def test_channels_last_trains_to_the_same_metrics(tmp_path: Path, runs_dir: Path) -> None:
    on, on_events = run(tmp_path, runs_dir, "train.channels_last=on")
    off, _ = run(tmp_path, runs_dir, "train.channels_last=off")
    assert read_summary(on.run_dir)["speed"]["channels_last"] is True
    assert read_summary(off.run_dir)["speed"]["channels_last"] is False
    assert "channels_last" in on_events.of(RunStarted)[0].speed
    a, b = on.summary["epochs"], off.summary["epochs"]
    for x, y in zip(a, b, strict=True):
        assert x["train_loss"] == pytest.approx(y["train_loss"], rel=1e-4, abs=1e-5)
        assert x["test_acc"] == pytest.approx(y["test_acc"], abs=1 / 48)


def test_bf16_autocast_trains_close_to_fp32(tmp_path: Path, runs_dir: Path) -> None:
    bf16, events = run(tmp_path, runs_dir, "train.precision=bf16")
    fp32, _ = run(tmp_path, runs_dir, "train.precision=fp32")
    assert read_summary(bf16.run_dir)["speed"]["precision"] == "bf16"
    assert read_summary(fp32.run_dir)["speed"]["precision"] == "fp32"
    if not cpu_has_native_bf16():
        assert any("no native bf16" in n.message for n in events.of(Notice))
    last_bf16, last_fp32 = bf16.summary["epochs"][-1], fp32.summary["epochs"][-1]
    assert last_bf16["train_loss"] != last_fp32["train_loss"]  # bf16 really ran
    assert last_bf16["train_loss"] == pytest.approx(last_fp32["train_loss"], rel=0.05)


def test_compiled_network_trains(tmp_path: Path, runs_dir: Path) -> None:
    pytest.importorskip("torch._inductor")
    compiled, _ = run(tmp_path, runs_dir, "train.compile=true", "train.channels_last=off")
    eager, _ = run(tmp_path, runs_dir, "train.channels_last=off")
    assert read_summary(compiled.run_dir)["speed"]["compile"] == "default"
    for x, y in zip(compiled.summary["epochs"], eager.summary["epochs"], strict=True):
        assert x["train_loss"] == pytest.approx(y["train_loss"], rel=1e-3)


def test_auto_precision_keeps_an_mlp_in_fp32_even_with_native_bf16(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a CPU with AMX, bf16 autocast made module and manual MLPs disagree at epoch 0; an MLP gains nothing from it."""
    import rdfia_tui.engine.speed as speed_mod

    monkeypatch.setattr(speed_mod, "cpu_has_native_bf16", lambda: True)
    cfg = load_preset("circles-mlp")
    assert resolve_speed(cfg, CPU, build_model(cfg.model, (2,), 2)).autocast is None
    conv_cfg, net = convnet_and_cfg()
    assert resolve_speed(conv_cfg, CPU, net).autocast == torch.bfloat16
    forced = apply_overrides(cfg, ["train.precision=bf16"])
    assert resolve_speed(forced, CPU, build_model(cfg.model, (2,), 2)).autocast == torch.bfloat16
