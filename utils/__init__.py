"""The course's shared helpers: devices, data, batches, training, plots, models, exercises.

Every chapter starts with ``from utils import ...``; nothing here imports from a chapter.
"""

from utils.batches import TensorBatches, random_shift
from utils.checkpoints import CHECKPOINT_DIR, load_checkpoint, save_checkpoint
from utils.data import FASHION_CLASSES, load_fashion_mnist, to_float_images, torchvision_root
from utils.device import get_device, seed_everything
from utils.exercises import check
from utils.hooks import capture_activations
from utils.models import VGGStyleNet, count_parameters, parameter_table
from utils.plots import plot_history, show_feature_maps, show_images
from utils.train import evaluate, fit, predict

__all__ = ["CHECKPOINT_DIR", "FASHION_CLASSES", "TensorBatches", "VGGStyleNet",
           "capture_activations", "check", "count_parameters", "evaluate", "fit", "get_device",
           "load_checkpoint", "load_fashion_mnist", "parameter_table", "plot_history", "predict",
           "random_shift", "save_checkpoint", "seed_everything", "show_feature_maps",
           "show_images", "to_float_images", "torchvision_root"]  # fmt: skip
