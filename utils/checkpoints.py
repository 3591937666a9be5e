"""Saving trained weights with the facts needed to trust them, and loading them back."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

CHECKPOINT_DIR = Path(__file__).resolve().parent.parent / "checkpoints"
"""The repository's ``checkpoints/`` folder; each file there is made by a script in ``scripts/``."""


def save_checkpoint(path: str | Path, model: nn.Module, **metadata: Any) -> Path:
    """Save ``model``'s weights and ``metadata`` atomically (a temporary file, then a rename).

    >>> import tempfile
    >>> path = save_checkpoint(Path(tempfile.mkdtemp()) / "m.pt", nn.Linear(2, 1), accuracy=0.9)
    >>> load_checkpoint(path, nn.Linear(2, 1))
    {'accuracy': 0.9}
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {key: value.detach().cpu() for key, value in model.state_dict().items()}
    partial = path.with_name(f".{path.name}.partial")
    torch.save({"state_dict": state, "metadata": metadata}, partial)
    os.replace(partial, path)  # a crash never leaves a half-written checkpoint
    return path


def load_checkpoint(path: str | Path, model: nn.Module) -> dict[str, Any]:
    """Load weights saved by :func:`save_checkpoint` into ``model``; return the metadata."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist; make it with the script "
                                f"named in {CHECKPOINT_DIR / 'README.md'}")  # fmt: skip
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise ValueError(f"{path} is not a readable PyTorch checkpoint ({error})") from error
    if not isinstance(saved, dict) or "state_dict" not in saved:
        raise ValueError(f"{path} is not a course checkpoint (it has no 'state_dict')")
    try:
        model.load_state_dict(saved["state_dict"])
    except RuntimeError as error:
        raise ValueError(f"{path} does not fit a {type(model).__name__}: {error}") from error
    return dict(saved.get("metadata", {}))
