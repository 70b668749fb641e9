"""What only a CUDA GPU can show: bf16 by default, no host syncs inside a step, compiled and graphed runs.

Skipped where torch sees no CUDA device; benchmarks/gpu.py is the script to run next to these.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from rdfia_tui.engine.catalog import LOSSES
from rdfia_tui.engine.config import DataConfig
from rdfia_tui.engine.data.pipeline import build_pipeline
from rdfia_tui.engine.models import build_model
from rdfia_tui.engine.presets import load_preset
from rdfia_tui.engine.runs.summary import read_summary
from rdfia_tui.engine.steps import build_step
from rdfia_tui.engine.training import fit
from tests.helpers import make_npz, tiny_cfg

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
CUDA = torch.device("cuda")


def test_a_training_step_never_syncs_with_the_host() -> None:
    cfg = load_preset("cifar10-augmented")
    x = torch.randint(0, 256, (256, 3, 32, 32), dtype=torch.uint8, device=CUDA)
    y = torch.randint(0, 10, (256,), device=CUDA)
    pipeline = build_pipeline(cfg.data, x)
    model = build_model(cfg.model, (3, 28, 28), 10).to(CUDA)
    step, _ = build_step("module", model, cfg.optim, "cross_entropy", LOSSES.get("cross_entropy"))
    generator = torch.Generator().manual_seed(0)
    step(pipeline.train_batch(x[:128], generator), y[:128])  # warm-up: allocations, cuDNN choices
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        for start in (0, 128):
            step(pipeline.train_batch(x[start : start + 128], generator), y[start : start + 128])
    finally:
        torch.cuda.set_sync_debug_mode("default")


def test_device_augmentation_is_seeded_from_the_run_seed() -> None:
    x = torch.randint(0, 256, (64, 3, 32, 32), dtype=torch.uint8, device=CUDA)
    cfg = DataConfig(dataset="cifar10", augment=("crop", "hflip"), crop_size=28)
    a = build_pipeline(cfg, x).train_batch(x, torch.Generator().manual_seed(3))
    b = build_pipeline(cfg, x).train_batch(x, torch.Generator().manual_seed(3))
    c = build_pipeline(cfg, x).train_batch(x, torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ([], {"precision": "bf16", "channels_last": True, "compile": "off"}),
        (["train.compile=true"], {"precision": "bf16", "channels_last": True, "compile": "default"}),
        (["train.cuda_graphs=true"], {"precision": "bf16", "channels_last": True, "compile": "reduce-overhead"}),
    ],
)
def test_runs_on_the_gpu_with_each_speed_setting(tmp_path: Path, runs_dir: Path, overrides: list[str], expected: dict) -> None:
    data = make_npz(tmp_path / "tiny.npz", [64, 64], [32, 32], size=8)
    result = fit(tiny_cfg(data, "train.device=cuda", "train.epochs=3", *overrides), runs_dir=runs_dir)
    assert result.status == "completed", result.message
    summary = read_summary(result.run_dir)
    assert summary["speed"] == expected
    assert summary["epochs"][-1]["train_loss"] < summary["epochs"][0]["train_loss"]
