"""Choosing a device and making runs repeatable (introduced in chapter 1)."""

from __future__ import annotations

import os
import random

import numpy as np
import torch


def get_device() -> torch.device:
    """``cuda`` if there is a GPU, else ``mps``, else ``cpu``; ``$CNN_COURSE_DEVICE``
    (``cpu``, ``cuda``, ``cuda:1``, ``mps``) chooses one yourself.

    >>> os.environ["CNN_COURSE_DEVICE"] = "cpu"; get_device()
    device(type='cpu')
    """
    wanted = os.environ.get("CNN_COURSE_DEVICE", "").strip()
    if not wanted:
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps" if torch.backends.mps.is_available() else "cpu")
    try:
        device = torch.device(wanted)
    except RuntimeError as error:
        raise ValueError(f"CNN_COURSE_DEVICE={wanted!r} is not a device; use cpu, cuda, "
                         "cuda:0 or mps") from error  # fmt: skip
    available = {"cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}
    if not available.get(device.type, True):
        raise ValueError(f"CNN_COURSE_DEVICE={wanted!r}, but there is no {device.type} device "
                         "here; unset it or set it to cpu")  # fmt: skip
    return device


def seed_everything(seed: int = 0, *, deterministic: bool = True) -> None:
    """Seed Python, NumPy and PyTorch (CPU and every GPU); with ``deterministic`` cuDNN
    picks deterministic kernels and stops auto-tuning, so GPU runs repeat too.

    >>> seed_everything(0); a = torch.rand(2); seed_everything(0)
    >>> bool((a == torch.rand(2)).all())
    True
    """
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    torch.backends.cudnn.deterministic = deterministic
    torch.backends.cudnn.benchmark = not deterministic
