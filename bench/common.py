"""Shared bits of the benchmark scripts: models, data, a table printer, machine facts."""

from __future__ import annotations

import gzip
import os
import platform
import shutil
from pathlib import Path

import torch

from utils import LeNet5, VGGStyleNet
from utils.data import DEBIAN_DIR, IDX_ENV, data_dir

MODELS = {"LeNet-5": lambda: LeNet5(modern=True), "VGG-style (ch. 6)": VGGStyleNet}


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


def torchvision_root() -> Path:
    """A folder torchvision's FashionMNIST(root, download=False) accepts: it wants the raw IDX
    files un-gzipped under root/FashionMNIST/raw. Made once from the data utils finds."""
    raw = data_dir() / "torchvision" / "FashionMNIST" / "raw"
    if not (raw / "t10k-labels-idx1-ubyte").exists():
        raw.mkdir(parents=True, exist_ok=True)
        candidates = [
            data_dir() / "FashionMNIST" / "raw",
            Path(os.environ.get(IDX_ENV, "")),
            DEBIAN_DIR,
        ]
        source = next(
            c
            for c in candidates
            if (c / "train-images-idx3-ubyte.gz").exists()
            or (c / "train-images-idx3-ubyte").exists()
        )
        for name in (
            "train-images-idx3-ubyte",
            "train-labels-idx1-ubyte",
            "t10k-images-idx3-ubyte",
            "t10k-labels-idx1-ubyte",
        ):
            if (source / name).exists():
                shutil.copy(source / name, raw / name)
            else:
                with gzip.open(source / f"{name}.gz") as packed, open(raw / name, "wb") as out:
                    shutil.copyfileobj(packed, out)
    return raw.parent.parent


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
