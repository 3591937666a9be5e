"""Shared fixtures: a tiny Fashion-MNIST written by the tests themselves,
in IDX format."""

import gzip
import sys
from pathlib import Path

import numpy as np
import pytest

import utils.data

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


def write_idx(path: Path, array: np.ndarray, *, gz: bool = True) -> Path:
    """Write ``array`` (uint8) as an IDX file: magic number, dimension sizes,
    raw bytes."""
    header = (2048 + array.ndim).to_bytes(4, "big")
    header += b"".join(n.to_bytes(4, "big") for n in array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(payload) if gz else payload)
    return path


@pytest.fixture
def tiny_fashion(tmp_path, monkeypatch):
    """30 training images (3 per class) and 10 test images, values known to
    the test; the course's data folder is empty, and ``FASHION_MNIST_DIR``
    points at the tiny copy (the odd files gzipped)."""
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(
            0, 256, (30, 28, 28), dtype=np.uint8
        ),
        "train-labels-idx1-ubyte": (np.arange(30) % 10).astype(np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(
            0, 256, (10, 28, 28), dtype=np.uint8
        ),
        "t10k-labels-idx1-ubyte": np.arange(10)[::-1].astype(np.uint8),
    }
    source = tmp_path / "idx"
    for index, (name, array) in enumerate(arrays.items()):
        write_idx(
            source / (f"{name}.gz" if index % 2 else name),
            array,
            gz=bool(index % 2),
        )
    # the files are checked against these counts; no SHA-256 is known for them
    sizes = {name: (len(array), None) for name, array in arrays.items()}
    monkeypatch.setattr(utils.data, "FILES", sizes)
    monkeypatch.setenv("FASHION_MNIST_DIR", str(source))
    monkeypatch.setenv("CNN_COURSE_DATA", str(tmp_path / "cache"))
    return arrays
