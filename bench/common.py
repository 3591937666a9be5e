"""Shared bits of the bench scripts: models, a table printer, machine facts.

The models come from ``course_models`` (exported from the chapters) and
``utils``; the data from ``utils`` (``load_fashion_mnist``,
``prepare_fashion_mnist``): one place defines each."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

import torch

from course_models import LeNet5
from utils import VGGStyleNet, prepare_fashion_mnist  # noqa: F401

# LeNet-5 in its modern form (ReLU, max pooling), as chapter 6 builds it:
# 61,706 parameters for a 28x28 image padded to 32x32
MODELS = {
    "LeNet-5": lambda: LeNet5(modern=True),
    "VGG-style (ch. 8)": VGGStyleNet,
}


def machine() -> str:
    """One line naming the machine the numbers came from."""
    if torch.cuda.is_available():
        where = f"GPU {torch.cuda.get_device_name()}"
    else:
        where = f"CPU {platform.processor() or platform.machine()}"
    return (
        f"{where}, {os.cpu_count()} cores, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads"
    )


def table(header: list[str], rows: list[list]) -> str:
    """A Markdown table (so it can be pasted into the book as it is)."""
    cells = [header] + [
        [f"{c:,.1f}" if isinstance(c, float) else str(c) for c in r]
        for r in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [
        "| "
        + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=False))
        + " |"
        for row in cells
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` as JSON whole or not at all: a temporary file, then a
    rename, so a half-written file never gets the name."""
    partial = path.with_name(f"{path.name}.partial")
    partial.write_text(json.dumps(data, indent=1) + "\n")
    partial.replace(path)
