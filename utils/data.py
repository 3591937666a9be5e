"""Fashion-MNIST: find it, read it, split off a validation set (introduced in chapter 1)."""

from __future__ import annotations

import gzip
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")  # fmt: skip
"""The ten class names; label ``i`` is ``FASHION_CLASSES[i]``."""

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")  # fmt: skip
HOW_TO_GET_DATA = (
    "Get Fashion-MNIST in one of three ways: go online (torchvision downloads it into "
    "$CNN_COURSE_DATA, default ~/.cache/cnn-course); set FASHION_MNIST_DIR to a folder with "
    f"the four IDX files {', '.join(FILES)} (.gz or not); or `sudo apt-get install "
    f"dataset-fashion-mnist` (Debian/Ubuntu, into {DEBIAN_DIR})."
)


def read_idx(path: str | Path) -> torch.Tensor:
    """Read an IDX file (gzipped or not) into a ``uint8`` tensor, checking its header.

    IDX holds a magic number (2049: labels, 2051: images), each dimension's size, then bytes.

    >>> read_idx(DEBIAN_DIR / "t10k-labels-idx1-ubyte.gz").shape  # doctest: +SKIP
    torch.Size([10000])
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"IDX file {path} does not exist. {HOW_TO_GET_DATA}")
    try:
        raw = path.read_bytes()
        raw = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    except (OSError, EOFError) as error:
        raise ValueError(f"{path} is corrupt ({error}); delete it and get it again") from error
    magic = int.from_bytes(raw[:4], "big")
    if len(raw) < 8 or magic not in (2049, 2051):
        raise ValueError(f"{path} is not an IDX file (magic {magic}, expected 2049 or 2051)")
    ndim = 1 if magic == 2049 else 3
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    header = 4 + 4 * ndim
    if len(raw) != header + int(np.prod(shape)):
        raise ValueError(f"{path} is truncated: its header promises shape {shape}, but the "
                         f"file holds {len(raw)} bytes; delete it and get it again")  # fmt: skip
    return torch.from_numpy(np.frombuffer(raw, np.uint8, offset=header).reshape(shape).copy())


def data_dir() -> Path:
    """The course's data folder: ``$CNN_COURSE_DATA``, else ``~/.cache/cnn-course``."""
    return Path(os.environ.get("CNN_COURSE_DATA") or Path.home() / ".cache" / "cnn-course")


def _has_files(folder: Path) -> bool:
    return all((folder / n).is_file() or (folder / f"{n}.gz").is_file() for n in FILES)


def find_fashion_mnist(*, download: bool = True) -> Path:
    """The folder holding the four IDX files: ``$FASHION_MNIST_DIR`` if set (it must hold
    them), else the course's data folder, else Debian's, else a torchvision download.

    >>> find_fashion_mnist(download=False).is_dir()  # doctest: +SKIP
    True
    """
    if os.environ.get("FASHION_MNIST_DIR"):
        folder = Path(os.environ["FASHION_MNIST_DIR"])
        if not _has_files(folder):
            raise FileNotFoundError(f"FASHION_MNIST_DIR={folder} does not hold the four files "
                                    f"{', '.join(FILES)} (.gz or not); fix or unset it")  # fmt: skip
        return folder
    for folder in (data_dir() / "FashionMNIST" / "raw", DEBIAN_DIR):
        if _has_files(folder):
            return folder
    if not download:
        raise FileNotFoundError(f"Fashion-MNIST is not on this machine. {HOW_TO_GET_DATA}")
    try:
        from torchvision.datasets import FashionMNIST as Download

        for train in (True, False):
            Download(data_dir(), train=train, download=True)
    except Exception as error:  # offline, blocked host, full disk...
        raise FileNotFoundError(f"downloading Fashion-MNIST failed ({error}). "
                                f"{HOW_TO_GET_DATA}") from error  # fmt: skip
    return data_dir() / "FashionMNIST" / "raw"


def torchvision_root() -> Path:
    """A ``root`` for ``torchvision.datasets.FashionMNIST(root, ...)`` that holds the data
    offline: the IDX files found by :func:`find_fashion_mnist`, un-gzipped into
    ``root/FashionMNIST/raw`` (torchvision's layout), so it does not download them again.

    >>> from torchvision.datasets import FashionMNIST  # doctest: +SKIP
    >>> len(FashionMNIST(torchvision_root(), train=False, download=True))  # doctest: +SKIP
    10000
    """
    source, raw = find_fashion_mnist(), data_dir() / "FashionMNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        if not (raw / name).is_file():
            partial = raw / f"{name}.partial"  # renamed when complete: never half-written
            with open(partial, "wb") as out:
                plain = source / name
                with plain.open("rb") if plain.is_file() else gzip.open(f"{plain}.gz") as file:
                    shutil.copyfileobj(file, out)
            partial.rename(raw / name)
    return data_dir()


@dataclass(frozen=True)
class FashionMNIST:
    """Fashion-MNIST in memory: ``uint8`` images ``(N, 28, 28)``, ``int64`` labels ``(N,)``.

    ``train`` (55,000) and ``val`` (5,000, 500 per class) split the 60,000 training images;
    ``test`` is the official 10,000. Choose on ``val``; score each final model on ``test`` once.
    """

    train_images: torch.Tensor
    train_labels: torch.Tensor
    val_images: torch.Tensor
    val_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    classes: tuple[str, ...]
    source: str


def stratified_split(labels: torch.Tensor, per_class: int, seed: int = 0) -> torch.Tensor:
    """A boolean mask choosing ``per_class`` examples of every class, drawn with ``seed``.

    >>> stratified_split(torch.tensor([0, 0, 1, 1, 1]), per_class=1).sum().item()
    2
    """
    generator = torch.Generator().manual_seed(seed)
    mask = torch.zeros(len(labels), dtype=torch.bool)
    for label in labels.unique():
        members = (labels == label).nonzero().flatten()
        if len(members) <= per_class:
            raise ValueError(f"class {int(label)} has {len(members)} examples; "
                             f"a split of {per_class} per class leaves none to train on")  # fmt: skip
        mask[members[torch.randperm(len(members), generator=generator)[:per_class]]] = True
    return mask


def load_fashion_mnist(*, val_per_class: int = 500, seed: int = 0) -> FashionMNIST:
    """Load Fashion-MNIST into memory, with a seeded, stratified validation split.

    >>> data = load_fashion_mnist()  # doctest: +SKIP
    >>> len(data.train_images), len(data.val_images), len(data.test_images)  # doctest: +SKIP
    (55000, 5000, 10000)
    """
    folder = find_fashion_mnist()
    path = {n: folder / n if (folder / n).is_file() else folder / f"{n}.gz" for n in FILES}
    train_images, train_labels, test_images, test_labels = (read_idx(path[n]) for n in FILES)
    for images, labels in ((train_images, train_labels), (test_images, test_labels)):
        if images.ndim != 3 or images.shape[1:] != (28, 28) or len(images) != len(labels):
            raise ValueError(f"{folder}: {tuple(images.shape)} images and {len(labels)} labels; "
                             "expected (N, 28, 28) images and N labels")  # fmt: skip
    val = stratified_split(train_labels, val_per_class, seed)
    train_labels, test_labels = train_labels.long(), test_labels.long()
    return FashionMNIST(train_images[~val], train_labels[~val], train_images[val],
                        train_labels[val], test_images, test_labels, FASHION_CLASSES,
                        str(folder))  # fmt: skip


def to_float_images(images: torch.Tensor) -> torch.Tensor:
    """``uint8`` images ``(N, H, W)`` to ``float32`` ``(N, 1, H, W)`` in [0, 1].

    >>> to_float_images(torch.full((2, 3, 3), 255, dtype=torch.uint8))[0, 0, 0].tolist()
    [1.0, 1.0, 1.0]
    """
    if images.dtype != torch.uint8 or images.ndim != 3:
        raise ValueError(f"expected uint8 images (N, H, W), got {images.dtype} "
                         f"{tuple(images.shape)}")  # fmt: skip
    return images.unsqueeze(1).float().div_(255)
