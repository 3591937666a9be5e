"""Saving and loading trained weights with the facts needed to trust them.

Small checkpoints that later chapters reuse live in the repository's ``checkpoints/`` folder,
each made by a seeded script in ``scripts/``, so a reader on a CPU never waits for training.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

CHECKPOINT_DIR = Path(__file__).resolve().parent.parent / "checkpoints"
"""The repository's ``checkpoints/`` folder."""


def save_checkpoint(path: str | Path, model: nn.Module, **metadata: Any) -> Path:
    """Save ``model``'s weights with ``metadata`` (plain values: accuracy, epochs, seed, ...).

    >>> import tempfile
    >>> path = save_checkpoint(Path(tempfile.mkdtemp()) / "m.pt", nn.Linear(2, 1), accuracy=0.9)
    >>> load_checkpoint(path, nn.Linear(2, 1))["accuracy"]
    0.9
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    torch.save({"state_dict": state, "metadata": metadata}, path)
    return path


def load_checkpoint(path: str | Path, model: nn.Module) -> dict[str, Any]:
    """Load weights saved by :func:`save_checkpoint` into ``model``; return the metadata.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` when the file is not a
    course checkpoint or does not fit ``model``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"checkpoint {path} does not exist; make it with the script named in "
            f"{CHECKPOINT_DIR / 'README.md'}"
        )
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise ValueError(f"{path} is not a readable PyTorch checkpoint ({error})") from error
    if not isinstance(saved, dict) or "state_dict" not in saved:
        raise ValueError(f"{path} is not a course checkpoint (no 'state_dict' entry)")
    try:
        model.load_state_dict(saved["state_dict"])
    except RuntimeError as error:
        raise ValueError(f"{path} does not fit a {type(model).__name__}: {error}") from error
    return dict(saved.get("metadata", {}))
