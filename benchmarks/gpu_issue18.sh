#!/bin/sh
# Issue 18's GPU check in one script, for a lent GPU machine (about 8 minutes on an H100/H200):
# the GPU tests, benchmarks/gpu.py, the roofline on the GPU, and cifar10-fast to 30 epochs.
# Usage: RDFIA_TUI_DATA=/path/to/data ./benchmarks/gpu_issue18.sh OUT_DIR
set -e
out=${1:-gpu-results}
mkdir -p "$out"
cd "$(dirname "$0")/.."
python -m pytest -q -p no:cacheprovider tests/test_gpu.py tests/test_speed.py tests/test_fast_training.py > "$out/gpu_tests.txt" 2>&1 || true
python benchmarks/roofline.py --device cuda --precision fp32 --precision bf16 --preset cifar10-convnet --preset cifar10-fast \
    --matmul-n 8192 --epochs 3 --out "$out/roofline.json"
python benchmarks/time_to_accuracy.py --preset cifar10-fast --set train.device=cuda --set train.epochs=30 --seeds 0 \
    --out "$out/fast30.json"
python benchmarks/time_to_accuracy.py --preset cifar10-fast --set train.device=cuda --seeds 0 1 2 --out "$out/fast8.json"
python benchmarks/gpu.py --out "$out/gpu.json"
