"""The course's shared helpers (``from utils import fit``); nothing here
imports a chapter."""

from utils.batches import TensorBatches, batches, random_shift
from utils.data import (
    FASHION_CLASSES,
    load_fashion_mnist,
    to_float_images,
    prepare_fashion_mnist,
)
from utils.device import get_device, seed_everything
from utils.exercises import check
from utils.models import (
    CHECKPOINT_DIR,
    VGGStyleNet,
    capture_activations,
    count_parameters,
)
from utils.models import load_checkpoint, parameter_table, save_checkpoint
from utils.plots import plot_history, show_feature_maps, show_images
from utils.train import evaluate, fit, predict, train_one_epoch
