"""Fashion-MNIST: find it, load it, split off a validation set (introduced in chapter 1)."""

import gzip
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import torch

FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")  # fmt: skip
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")  # fmt: skip


def _file(folder: Path, name: str) -> Path | None:
    return next((p for p in (folder / name, folder / f"{name}.gz") if p.is_file()), None)


def torchvision_root() -> Path:
    """A ``root`` for ``torchvision.datasets.FashionMNIST(root, train=..., download=True)``
    that works offline: the IDX files of ``$FASHION_MNIST_DIR`` (if set, it must hold them)
    or of Debian's ``dataset-fashion-mnist``, un-gzipped into ``root/FashionMNIST/raw``, so
    torchvision finds them and downloads nothing. The root is ``$CNN_COURSE_DATA`` (default
    ``~/.cache/cnn-course``); with no local files, torchvision downloads into it."""
    root = Path(os.environ.get("CNN_COURSE_DATA") or Path.home() / ".cache" / "cnn-course")
    raw = root / "FashionMNIST" / "raw"
    source = Path(os.environ.get("FASHION_MNIST_DIR") or DEBIAN_DIR)
    missing = [name for name in FILES if _file(source, name) is None]
    if missing and os.environ.get("FASHION_MNIST_DIR"):
        raise FileNotFoundError(f"FASHION_MNIST_DIR={source} lacks {', '.join(missing)} "
                                "(.gz or not): fix the folder or unset the variable")  # fmt: skip
    for name in [] if missing else FILES:
        if not (raw / name).is_file():
            raw.mkdir(parents=True, exist_ok=True)
            found, partial = _file(source, name), raw / f"{name}.{os.getpid()}.partial"
            with (gzip.open if found.suffix == ".gz" else open)(found, "rb") as file:
                with open(partial, "wb") as out:
                    shutil.copyfileobj(file, out)
            partial.rename(raw / name)  # only complete files get the real name
    return root


@dataclass(frozen=True)
class FashionMNIST:
    """``uint8`` images ``(N, 28, 28)``, ``int64`` labels. ``train`` (55,000) and ``val`` (5,000)
    split the 60,000 training images, ``test`` is the official 10,000. Choose on ``val``."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    val_images: torch.Tensor
    val_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    classes: tuple[str, ...] = FASHION_CLASSES


def load_fashion_mnist(*, val_per_class: int = 500, seed: int = 0) -> FashionMNIST:
    """Fashion-MNIST in memory, read by torchvision from :func:`torchvision_root`; ``val``
    holds ``val_per_class`` training images of each class, drawn with ``seed``.

    >>> data = load_fashion_mnist()
    >>> len(data.train_images), len(data.val_images), len(data.test_images)
    (55000, 5000, 10000)
    """
    from torchvision.datasets import FashionMNIST as Torchvision

    root = torchvision_root()
    try:
        train, test = (Torchvision(root, train=train, download=True) for train in (True, False))
    except Exception as error:  # offline without the files, or damaged files
        raise FileNotFoundError(
            f"Fashion-MNIST could not be loaded from {root / 'FashionMNIST' / 'raw'} "
            f"({type(error).__name__}: {error}). Delete that folder and go online, set "
            "FASHION_MNIST_DIR to a folder with the four IDX files, or `sudo apt-get install "
            "dataset-fashion-mnist` (Debian/Ubuntu).") from error  # fmt: skip
    generator = torch.Generator().manual_seed(seed)
    val = torch.zeros(len(train.targets), dtype=torch.bool)
    for label in range(10):
        members = (train.targets == label).nonzero().flatten()
        if len(members) <= val_per_class:
            raise ValueError(f"class {label} has {len(members)} training images, too few to "
                             f"keep {val_per_class} for validation")  # fmt: skip
        val[members[torch.randperm(len(members), generator=generator)[:val_per_class]]] = True
    images, labels = train.data, train.targets
    return FashionMNIST(images[~val], labels[~val], images[val], labels[val], test.data, test.targets)


def to_float_images(images: torch.Tensor) -> torch.Tensor:
    """``uint8`` images ``(N, H, W)`` to ``float32`` ``(N, 1, H, W)`` in [0, 1].

    >>> to_float_images(torch.tensor([[[0, 255]]], dtype=torch.uint8)).tolist()
    [[[[0.0, 1.0]]]]
    """
    if images.dtype != torch.uint8 or images.ndim != 3:
        raise ValueError(f"expected uint8 images (N, H, W), got {images.dtype} "
                         f"{tuple(images.shape)}")  # fmt: skip
    return images.unsqueeze(1).float().div_(255)
