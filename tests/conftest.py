"""Shared fixtures: a tiny IDX data set written by the tests themselves."""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))


def write_idx(path: Path, array: np.ndarray, *, magic: int | None = None, gz: bool = True) -> Path:
    """Write ``array`` (uint8) as an IDX file: magic number, dimension sizes, raw bytes."""
    magic = magic if magic is not None else {1: 2049, 3: 2051}[array.ndim]
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        with gzip.open(path, "wb") as file:
            file.write(payload)
    else:
        path.write_bytes(payload)
    return path


@pytest.fixture
def idx_folder(tmp_path: Path) -> Path:
    """A folder with the four Fashion-MNIST file names, holding 12 train and 4 test images."""
    rng = np.random.default_rng(0)
    for split, count in (("train", 12), ("t10k", 4)):
        write_idx(
            tmp_path / f"{split}-images-idx3-ubyte.gz",
            rng.integers(0, 256, (count, 28, 28), dtype=np.uint8),
        )
        write_idx(tmp_path / f"{split}-labels-idx1-ubyte.gz", np.arange(count, dtype=np.uint8) % 10)
    return tmp_path
