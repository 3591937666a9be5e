"""Shared helpers for the CNN course: devices, data, training, plots and small models.

Every chapter starts with ``from utils import ...``; nothing here imports from a chapter.

>>> from utils import get_device, seed_everything
>>> seed_everything(0)
>>> get_device().type in {"cpu", "cuda", "mps"}
True
"""

from utils.checkpoints import CHECKPOINT_DIR, load_checkpoint, save_checkpoint
from utils.data import (
    FASHION_CLASSES,
    FashionMNIST,
    TensorBatches,
    load_fashion_mnist,
    random_flip_and_shift,
    read_idx,
    to_float_images,
)
from utils.device import get_device, seed_everything
from utils.hooks import capture_activations
from utils.models import LeNet5, ParameterCount, VGGStyleNet, count_parameters
from utils.plots import plot_history, show_feature_maps, show_images
from utils.train import History, evaluate, fit, predict

__all__ = [
    "CHECKPOINT_DIR",
    "FASHION_CLASSES",
    "FashionMNIST",
    "History",
    "LeNet5",
    "ParameterCount",
    "TensorBatches",
    "VGGStyleNet",
    "capture_activations",
    "count_parameters",
    "evaluate",
    "fit",
    "get_device",
    "load_checkpoint",
    "load_fashion_mnist",
    "plot_history",
    "predict",
    "random_flip_and_shift",
    "read_idx",
    "save_checkpoint",
    "seed_everything",
    "show_feature_maps",
    "show_images",
    "to_float_images",
]
