"""Fashion-MNIST: find it, load it, split off a validation set (introduced in chapter 1)."""

import gzip
import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import torch

FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
FILES = [
    f"{s}-{k}-ubyte"
    for s in ("train", "t10k")
    for k in ("images-idx3", "labels-idx1")
]


def _file(folder: Path, name: str) -> Path | None:
    return next(
        (p for p in (folder / name, folder / f"{name}.gz") if p.is_file()),
        None,
    )


def prepare_fashion_mnist() -> Path:
    """``$CNN_COURSE_DATA`` (default ``~/.cache/cnn-course``), a root for torchvision's
    ``FashionMNIST(root, download=True)`` holding the IDX files of ``$FASHION_MNIST_DIR`` or
    Debian's un-gzipped in ``FashionMNIST/raw``: offline, nothing is downloaded."""
    root = Path(
        os.environ.get("CNN_COURSE_DATA")
        or Path.home() / ".cache" / "cnn-course"
    )
    raw = root / "FashionMNIST" / "raw"
    source = Path(os.environ.get("FASHION_MNIST_DIR") or DEBIAN_DIR)
    missing = [name for name in FILES if _file(source, name) is None]
    if missing and os.environ.get("FASHION_MNIST_DIR"):
        raise FileNotFoundError(
            f"FASHION_MNIST_DIR={source} lacks {', '.join(missing)} "
            "(.gz or not): fix the folder or unset the variable"
        )
    for name in [] if missing else FILES:
        if not (raw / name).is_file():
            raw.mkdir(parents=True, exist_ok=True)
            found, partial = (
                _file(source, name),
                raw / f"{name}.{os.getpid()}.partial",
            )
            with (gzip.open if found.suffix == ".gz" else open)(
                found, "rb"
            ) as file:
                with open(partial, "wb") as out:
                    shutil.copyfileobj(file, out)
            partial.rename(raw / name)  # only complete files get the real name
    return root


def load_fashion_mnist(
    *, val_per_class: int = 500, seed: int = 0
) -> SimpleNamespace:
    """Fashion-MNIST in memory: ``uint8`` images ``(N, 28, 28)``, ``int64`` labels. ``train_*``
    and ``val_*`` (``val_per_class`` of each class, drawn with ``seed``) split the 60,000
    training images; ``test_*`` is the official 10,000. Choose on val; score test once.
    >>> data = load_fashion_mnist()
    >>> len(data.train_images), len(data.val_images), len(data.test_images)
    (55000, 5000, 10000)
    """
    from torchvision.datasets import FashionMNIST as Torchvision

    root = prepare_fashion_mnist()
    try:
        train, test = (
            Torchvision(root, train=train, download=True)
            for train in (True, False)
        )
    except Exception as error:  # offline without the files, or damaged files
        raise FileNotFoundError(
            f"no Fashion-MNIST in {root}/FashionMNIST/raw ({error!r}). "
            "Delete that folder and go online, set FASHION_MNIST_DIR to a "
            "folder of the IDX files, or apt-get install dataset-fashion-mnist"
        ) from error
    generator = torch.Generator().manual_seed(seed)
    val = torch.zeros(len(train.targets), dtype=torch.bool)
    for label in range(10):
        members = (train.targets == label).nonzero().flatten()
        if len(members) <= val_per_class:
            raise ValueError(
                f"class {label} has {len(members)} training images, too few to "
                f"keep {val_per_class} for validation"
            )
        val[
            members[
                torch.randperm(len(members), generator=generator)[
                    :val_per_class
                ]
            ]
        ] = True
    return SimpleNamespace(
        train_images=train.data[~val],
        train_labels=train.targets[~val],
        val_images=train.data[val],
        val_labels=train.targets[val],
        test_images=test.data,
        test_labels=test.targets,
        classes=FASHION_CLASSES,
    )


def to_float_images(images: torch.Tensor) -> torch.Tensor:
    """``uint8`` images ``(N, H, W)`` to ``float32`` ``(N, 1, H, W)`` in [0, 1].
    >>> to_float_images(torch.tensor([[[0, 255]]], dtype=torch.uint8)).tolist()
    [[[[0.0, 1.0]]]]
    """
    if images.dtype != torch.uint8 or images.ndim != 3:
        raise ValueError(
            f"expected uint8 images (N, H, W), got {images.dtype} "
            f"{tuple(images.shape)}"
        )
    return images.unsqueeze(1).float().div_(255)
