"""Shared bits of the benchmark scripts: models, a table printer, machine facts. The data
come from ``utils`` (``load_fashion_mnist``, ``prepare_fashion_mnist``): one place finds them."""

from __future__ import annotations

import os
import platform

import torch
from torch import nn

from utils import VGGStyleNet, prepare_fashion_mnist  # noqa: F401  (one place finds the data)


def lenet5() -> nn.Sequential:
    """LeNet-5 in its modern form (ReLU, max pooling; chapter 6 builds it step by step):
    61,706 parameters for a 28x28 image padded to 32x32."""
    return nn.Sequential(
        nn.ZeroPad2d(2), nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 120, 5), nn.ReLU(),
        nn.Flatten(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )  # fmt: skip


MODELS = {"LeNet-5": lenet5, "VGG-style (ch. 8)": VGGStyleNet}


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
    cells = [header] + [[f"{c:,.1f}" if isinstance(c, float) else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + " |"
        for row in cells
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)
