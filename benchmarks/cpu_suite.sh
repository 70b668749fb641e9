#!/bin/sh
# Every CPU benchmark, one JSON file each, into ${1:-bench-results}/ (about 50 minutes on 2 cores).
# Needs RDFIA_TUI_DATA (a folder with cifar10.npz and mnist.npz) for the CIFAR-10 and MNIST ones.
set -e
out=${1:-bench-results}
mkdir -p "$out"
cd "$(dirname "$0")/.."
python benchmarks/startup.py --repeats 5 --out "$out/startup.json"
python benchmarks/threads.py --repeats 3 --out "$out/threads.json"
python benchmarks/mlp_step.py --steps 300 --repeats 5 --out "$out/mlp_step.json"
python benchmarks/speed_settings.py --limit 5000 --epochs 2 --repeats 2 \
    --only "fp32, contiguous" --only "fp32, channels_last" --only "bf16, channels_last" \
    --only "fp32, channels_last, b512" --only "fp32, channels_last, compile" --out "$out/speed_settings.json"
python benchmarks/engine_vs_naive.py --limit 0 --epochs 3 --repeats 3 --out "$out/engine_vs_naive.json"
python benchmarks/ui_overhead.py --preset mnist-mlp --repeats 3 --out "$out/ui_overhead_mnist.json"
python benchmarks/ui_overhead.py --preset cifar10-augmented --set data.limit_train=5000 --set train.epochs=4 \
    --repeats 3 --out "$out/ui_overhead_cifar.json"
# issue 18 (docs/benchmarks.md §11): the roofline, the exact speed-ups, and time to accuracy (about 25 minutes more)
python benchmarks/roofline.py --preset cifar10-convnet --preset cifar10-fast --epochs 2 --out "$out/roofline.json"
python benchmarks/exact_speedups.py --preset cifar10-convnet --preset cifar10-fast --repeats 5 --seconds 2 --out "$out/exact_speedups.json"
python benchmarks/time_to_accuracy.py --preset cifar10-fast --preset cifar10-convnet --seeds 0 1 2 --out "$out/time_to_accuracy.json"
