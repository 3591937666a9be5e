"""Choosing a device and making runs repeatable (introduced in chapter 1)."""

from __future__ import annotations

import os
import random

import numpy as np
import torch

DEVICE_ENV = "CNN_COURSE_DEVICE"
"""Environment variable that overrides :func:`get_device`, e.g. ``CNN_COURSE_DEVICE=cpu``."""


def get_device() -> torch.device:
    """Return the best available device: ``cuda``, else ``mps``, else ``cpu``.

    Set the environment variable ``CNN_COURSE_DEVICE`` (``cpu``, ``cuda``, ``cuda:1``, ``mps``)
    to choose one yourself, e.g. to compare a GPU run with a CPU run.

    >>> import os
    >>> os.environ["CNN_COURSE_DEVICE"] = "cpu"
    >>> get_device()
    device(type='cpu')
    >>> del os.environ["CNN_COURSE_DEVICE"]
    """
    wanted = os.environ.get(DEVICE_ENV, "").strip()
    if wanted:
        try:
            device = torch.device(wanted)
        except RuntimeError as error:
            raise ValueError(
                f"{DEVICE_ENV}={wanted!r} is not a device name; use cpu, cuda, cuda:0 or mps"
            ) from error
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(
                f"{DEVICE_ENV}={wanted!r} asks for CUDA, but torch sees no CUDA GPU here; "
                f"unset {DEVICE_ENV} or set it to cpu"
            )
        if device.type == "mps" and not torch.backends.mps.is_available():
            raise ValueError(
                f"{DEVICE_ENV}={wanted!r} asks for Apple's MPS, which is not available here; "
                f"unset {DEVICE_ENV} or set it to cpu"
            )
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int = 0, *, deterministic: bool = True) -> None:
    """Seed Python, NumPy and PyTorch (CPU and every GPU) so a run can be repeated.

    With ``deterministic=True`` cuDNN picks deterministic kernels and stops auto-tuning,
    which makes GPU runs repeatable at a small cost in speed.

    >>> seed_everything(0); a = torch.rand(2)
    >>> seed_everything(0); b = torch.rand(2)
    >>> bool((a == b).all())
    True
    """
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    torch.backends.cudnn.deterministic = deterministic
    torch.backends.cudnn.benchmark = not deterministic
