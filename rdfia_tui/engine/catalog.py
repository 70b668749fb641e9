"""Every named choice the engine offers, mapped lazily to its implementation.

This module imports nothing heavy: the config validator, ``--help`` and the TUI's
form read the names here before torch is loaded.
"""

from __future__ import annotations

from rdfia_tui.engine.registry import Registry

_DATA = "rdfia_tui.engine.data"
_MODELS = "rdfia_tui.engine.models"

DATASETS: Registry = Registry("dataset")
DATASETS.register("circles", f"{_DATA}.toy:load_circles")
DATASETS.register("moons", f"{_DATA}.toy:load_moons")
DATASETS.register("digits", f"{_DATA}.toy:load_digits")
DATASETS.register("mnist", f"{_DATA}.vision:load_mnist")
DATASETS.register("fashion-mnist", f"{_DATA}.vision:load_fashion_mnist")
DATASETS.register("cifar10", f"{_DATA}.vision:load_cifar10")
DATASETS.register("npz", f"{_DATA}.npz:load_npz")
DATASETS.register("imagefolder", f"{_DATA}.imagefolder:load_imagefolder")

MODELS: Registry = Registry("model")
MODELS.register("mlp", f"{_MODELS}.mlp:build_mlp")
MODELS.register("convnet", f"{_MODELS}.convnet:build_convnet")

IMPLS = ("module", "autograd", "manual")

ACTIVATIONS: Registry = Registry("activation")
ACTIVATIONS.register("tanh", "torch.nn:Tanh")
ACTIVATIONS.register("relu", "torch.nn:ReLU")
ACTIVATIONS.register("sigmoid", "torch.nn:Sigmoid")

LOSSES: Registry = Registry("loss")
LOSSES.register("cross_entropy", "rdfia_tui.engine.losses:cross_entropy")
LOSSES.register("mse", "rdfia_tui.engine.losses:mse")

OPTIMISERS: Registry = Registry("optimiser")
OPTIMISERS.register("sgd", "rdfia_tui.engine.optimisers:build_sgd")
OPTIMISERS.register("adagrad", "rdfia_tui.engine.optimisers:build_adagrad")
OPTIMISERS.register("adadelta", "rdfia_tui.engine.optimisers:build_adadelta")
OPTIMISERS.register("rmsprop", "rdfia_tui.engine.optimisers:build_rmsprop")
OPTIMISERS.register("adam", "rdfia_tui.engine.optimisers:build_adam")

SCHEDULES: Registry = Registry("schedule")
SCHEDULES.register("constant", "rdfia_tui.engine.schedules:constant")
SCHEDULES.register("time", "rdfia_tui.engine.schedules:time_based")
SCHEDULES.register("step", "rdfia_tui.engine.schedules:step")
SCHEDULES.register("exponential", "rdfia_tui.engine.schedules:exponential")
SCHEDULES.register("onecycle", "rdfia_tui.engine.schedules:onecycle")
STEPPED_SCHEDULES = ("onecycle",)  # the lr changes at every step, not once per epoch

POOLS = ("max", "avg")
NORMALISATIONS = ("none", "standard")
# implemented in rdfia_tui.engine.data.pipeline.AUGMENTATIONS (a test keeps the two in step)
AUGMENTATION_NAMES = ("crop", "hflip", "vflip", "rotate", "jitter", "scale")
