"""Choosing a device and making runs repeatable (introduced in chapter 1)."""

import random

import numpy as np
import torch

from utils import config


def get_device() -> torch.device:
    """``cuda`` if there is a GPU, else ``mps``, else ``cpu``;
    ``$CNN_COURSE_DEVICE`` (``cpu``, ``cuda``, ``cuda:1``, ``mps``) chooses
    one yourself.

    >>> get_device().type in ("cpu", "cuda", "mps")
    True
    """
    available = {
        "cuda": torch.cuda.is_available(),
        "mps": torch.backends.mps.is_available(),
    }
    wanted = config.device_request()
    if not wanted:
        return torch.device(
            next((kind for kind, ok in available.items() if ok), "cpu")
        )
    try:
        device = torch.device(wanted)
    except RuntimeError as error:
        raise ValueError(
            f"CNN_COURSE_DEVICE={wanted!r} is not a device: try cpu"
        ) from error
    if not available.get(device.type, True):
        raise ValueError(
            f"CNN_COURSE_DEVICE={wanted!r}, but this machine has no "
            f"{device.type} device: unset it or set it to cpu"
        )
    return device


def seed_everything(seed: int = 0, *, deterministic: bool = True) -> None:
    """Seed Python, NumPy and PyTorch (CPU and every GPU); ``deterministic``
    makes cuDNN pick deterministic kernels and stop auto-tuning, so that GPU
    runs repeat too.

    >>> seed_everything(0); first = torch.rand(2)
    >>> seed_everything(0); torch.equal(first, torch.rand(2))
    True
    """
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    torch.backends.cudnn.deterministic = deterministic
    torch.backends.cudnn.benchmark = not deterministic
