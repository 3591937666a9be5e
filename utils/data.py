"""Fashion-MNIST from disk or the internet, and fast batches from in-memory tensors.

Introduced in chapter 1. :func:`load_fashion_mnist` finds the data in this order:

1. the course's data directory (``$CNN_COURSE_DATA``, default ``~/.cache/cnn-course``), in
   torchvision's layout ``FashionMNIST/raw/*-ubyte[.gz]`` (a previous download lands here);
2. a local copy of the original IDX files: ``$FASHION_MNIST_DIR``, else Debian's
   ``dataset-fashion-mnist`` package (``/usr/share/datasets/fashion-mnist``);
3. torchvision's download into the data directory (Colab and any online machine).
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
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
"""The ten Fashion-MNIST class names; label ``i`` is ``FASHION_CLASSES[i]``."""

DATA_ENV = "CNN_COURSE_DATA"
IDX_ENV = "FASHION_MNIST_DIR"
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
IDX_MAGIC = {2049: 1, 2051: 3}  # labels are 1-D, images are 3-D (count, rows, cols)
SPLITS = {"train": 60_000, "t10k": 10_000}

HOW_TO_GET_DATA = (
    "Provide Fashion-MNIST in one of three ways:\n"
    f"  1. online: let torchvision download it into ${DATA_ENV} (default ~/.cache/cnn-course);\n"
    f"  2. set {IDX_ENV} to a folder holding the four original IDX files "
    "(train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
    "t10k-labels-idx1-ubyte.gz; gzipped or not);\n"
    "  3. on Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist "
    f"(installs them under {DEBIAN_DIR})."
)


def read_idx(path: str | Path) -> torch.Tensor:
    """Read one IDX file (gzipped or not) into a ``uint8`` tensor, checking its header.

    IDX is the format of MNIST and Fashion-MNIST: a magic number (2049 for labels,
    2051 for images), the size of every dimension, then the raw bytes.

    >>> labels = read_idx("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz")
    >>> labels.shape, labels.dtype
    (torch.Size([10000]), torch.uint8)
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"IDX file {path} does not exist.\n{HOW_TO_GET_DATA}")
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":  # the gzip signature: decompress first
            raw = gzip.decompress(raw)
    except (OSError, EOFError) as error:  # a truncated or damaged gzip stream
        raise ValueError(f"{path} is corrupt ({error}).\n{HOW_TO_GET_DATA}") from error
    if len(raw) < 8:
        raise ValueError(
            f"{path} is {len(raw)} bytes, too short for an IDX header.\n{HOW_TO_GET_DATA}"
        )
    magic = int.from_bytes(raw[:4], "big")
    if magic not in IDX_MAGIC:
        raise ValueError(
            f"{path} has magic number {magic}, expected 2049 (labels) or 2051 (images): "
            f"it is not an IDX file.\n{HOW_TO_GET_DATA}"
        )
    ndim = IDX_MAGIC[magic]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(shape))
    if len(raw) != expected:
        raise ValueError(
            f"{path} is truncated or padded: its header promises shape {shape} "
            f"({expected} bytes) but the file holds {len(raw)} bytes.\n{HOW_TO_GET_DATA}"
        )
    array = np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)
    return torch.from_numpy(array.copy())


@dataclass(frozen=True)
class FashionMNIST:
    """Fashion-MNIST in memory.

    Images are ``uint8`` tensors of shape ``(N, 28, 28)`` with values 0..255 (0 is the black
    background); labels are ``int64`` tensors of shape ``(N,)`` with values 0..9.
    Use :func:`to_float_images` to get ``float32`` images of shape ``(N, 1, 28, 28)`` in [0, 1].
    """

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    classes: tuple[str, ...]
    source: str


def _idx_file(folder: Path, name: str) -> Path | None:
    for candidate in (folder / f"{name}.gz", folder / name):
        if candidate.is_file():
            return candidate
    return None


def read_fashion_mnist_folder(folder: str | Path, *, check_counts: bool = True) -> FashionMNIST:
    """Read and check the four Fashion-MNIST IDX files in ``folder``.

    ``check_counts`` insists on the real data set's 60,000 training and 10,000 test images.

    >>> data = read_fashion_mnist_folder("/usr/share/datasets/fashion-mnist")
    >>> tuple(data.train_images.shape), tuple(data.test_labels.shape)
    ((60000, 28, 28), (10000,))
    """
    folder = Path(folder)
    tensors = {}
    for split, count in SPLITS.items():
        for kind, suffix in (("images", "idx3-ubyte"), ("labels", "idx1-ubyte")):
            path = _idx_file(folder, f"{split}-{kind}-{suffix}")
            if path is None:
                raise FileNotFoundError(
                    f"{folder} lacks {split}-{kind}-{suffix}[.gz].\n{HOW_TO_GET_DATA}"
                )
            tensor = read_idx(path)
            want_ndim = 3 if kind == "images" else 1
            if tensor.ndim != want_ndim or (kind == "images" and tensor.shape[1:] != (28, 28)):
                raise ValueError(
                    f"{path} holds shape {tuple(tensor.shape)}, expected "
                    f"{'(N, 28, 28) images' if kind == 'images' else '(N,) labels'}.\n"
                    f"{HOW_TO_GET_DATA}"
                )
            if check_counts and len(tensor) != count:
                raise ValueError(
                    f"{path} holds {len(tensor)} {kind}, Fashion-MNIST has {count}.\n"
                    f"{HOW_TO_GET_DATA}"
                )
            tensors[split, kind] = tensor
        images, labels = tensors[split, "images"], tensors[split, "labels"]
        if len(images) != len(labels):
            raise ValueError(
                f"{folder}: {len(images)} {split} images but {len(labels)} labels.\n"
                f"{HOW_TO_GET_DATA}"
            )
        if len(labels) and int(labels.max()) > 9:
            raise ValueError(
                f"{folder}: {split} labels go up to {int(labels.max())}, expected 0..9.\n"
                f"{HOW_TO_GET_DATA}"
            )
    return FashionMNIST(
        train_images=tensors["train", "images"],
        train_labels=tensors["train", "labels"].long(),
        test_images=tensors["t10k", "images"],
        test_labels=tensors["t10k", "labels"].long(),
        classes=FASHION_CLASSES,
        source=str(folder),
    )


def data_dir() -> Path:
    """The course's data directory: ``$CNN_COURSE_DATA`` or ``~/.cache/cnn-course``."""
    return Path(os.environ.get(DATA_ENV) or Path.home() / ".cache" / "cnn-course")


def load_fashion_mnist(*, download: bool = True) -> FashionMNIST:
    """Load Fashion-MNIST (70,000 images of clothing, 10 classes) into memory.

    Looks in the course's data directory, then in ``$FASHION_MNIST_DIR`` or Debian's
    ``/usr/share/datasets/fashion-mnist``, then downloads with torchvision (if ``download``).
    Every file is checked (magic number, shape, count, label range).

    >>> data = load_fashion_mnist()
    >>> data.train_images.shape, data.train_images.dtype, data.classes[9]
    (torch.Size([60000, 28, 28]), torch.uint8, 'Ankle boot')
    """
    cache = data_dir() / "FashionMNIST" / "raw"
    candidates = [cache]
    if os.environ.get(IDX_ENV):
        local = Path(os.environ[IDX_ENV])
        if not local.is_dir():
            raise FileNotFoundError(f"{IDX_ENV}={local} is not a folder.\n{HOW_TO_GET_DATA}")
        candidates.append(local)
    candidates.append(DEBIAN_DIR)
    for folder in candidates:
        if _idx_file(folder, "train-images-idx3-ubyte") is not None:
            return read_fashion_mnist_folder(folder)
    if download:
        try:
            from torchvision.datasets import FashionMNIST as TorchvisionFashionMNIST

            for train in (True, False):
                TorchvisionFashionMNIST(data_dir(), train=train, download=True)
        except Exception as error:  # no network, blocked host, full disk ...
            raise FileNotFoundError(
                f"Fashion-MNIST is not on this machine and the download failed ({error}).\n"
                f"{HOW_TO_GET_DATA}"
            ) from error
        return read_fashion_mnist_folder(cache)
    raise FileNotFoundError(
        f"Fashion-MNIST is not in {', '.join(map(str, candidates))}.\n{HOW_TO_GET_DATA}"
    )


def to_float_images(images: torch.Tensor) -> torch.Tensor:
    """Turn ``uint8`` images ``(N, H, W)`` into ``float32`` ``(N, 1, H, W)`` scaled to [0, 1].

    >>> to_float_images(torch.full((2, 28, 28), 255, dtype=torch.uint8)).shape
    torch.Size([2, 1, 28, 28])
    """
    if images.dtype != torch.uint8 or images.ndim != 3:
        raise ValueError(
            f"expected uint8 images of shape (N, H, W), got {images.dtype} {tuple(images.shape)}"
        )
    return images.unsqueeze(1).float().div_(255)


BatchTransform = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


class TensorBatches:
    """Mini-batches from tensors that live on the device: no per-image decoding, no workers.

    Each pass (``for images, labels in batches``) visits every example once; with
    ``shuffle=True`` the order comes from a generator seeded with ``seed``, so pass ``k`` is
    the same permutation on every run. ``transform(images, generator)`` (e.g.
    :func:`random_flip_and_shift`) is applied to each training batch.

    >>> x, y = torch.rand(10, 1, 28, 28), torch.arange(10)
    >>> [len(labels) for _, labels in TensorBatches(x, y, batch_size=4)]
    [4, 4, 2]
    """

    def __init__(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        *,
        batch_size: int = 128,
        shuffle: bool = False,
        seed: int = 0,
        device: torch.device | str = "cpu",
        transform: BatchTransform | None = None,
    ) -> None:
        if len(images) == 0:
            raise ValueError("TensorBatches got no examples: images is empty")
        if len(images) != len(labels):
            raise ValueError(f"{len(images)} images but {len(labels)} labels; they must match")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        if images.dtype == torch.uint8:
            raise ValueError("images are uint8; convert them first with to_float_images(images)")
        self.device = torch.device(device)
        self.images = images.to(self.device)
        self.labels = labels.to(self.device)
        self.batch_size, self.shuffle, self.transform = batch_size, shuffle, transform
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return -(-len(self.images) // self.batch_size)  # ceiling division

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        count = len(self.images)
        if self.shuffle:
            order = torch.randperm(count, generator=self.generator).to(self.device)
        else:
            order = torch.arange(count, device=self.device)
        for start in range(0, count, self.batch_size):
            index = order[start : start + self.batch_size]
            images = self.images[index]
            if self.transform is not None:
                images = self.transform(images, self.generator)
            yield images, self.labels[index]

    def __repr__(self) -> str:
        return (
            f"TensorBatches({len(self.images)} examples of {tuple(self.images.shape[1:])}, "
            f"batch_size={self.batch_size}, shuffle={self.shuffle}, device={self.device})"
        )


def random_flip_and_shift(
    images: torch.Tensor, generator: torch.Generator, max_shift: int = 2
) -> torch.Tensor:
    """Augment a batch: flip each image left-right with probability 1/2, then shift it by up
    to ``max_shift`` pixels in each direction (zeros fill the gap), one draw per image.

    >>> g = torch.Generator().manual_seed(0)
    >>> random_flip_and_shift(torch.rand(8, 1, 28, 28), g).shape
    torch.Size([8, 1, 28, 28])
    """
    if images.ndim != 4:
        raise ValueError(f"expected a batch (N, C, H, W), got shape {tuple(images.shape)}")
    count, _, height, width = images.shape
    flip = (torch.rand(count, generator=generator) < 0.5).to(images.device)
    images = torch.where(flip[:, None, None, None], images.flip(-1), images)
    padded = torch.nn.functional.pad(images, [max_shift] * 4)
    shifts = torch.randint(0, 2 * max_shift + 1, (count, 2), generator=generator).tolist()
    return torch.stack(
        [padded[i, :, dy : dy + height, dx : dx + width] for i, (dy, dx) in enumerate(shifts)]
    )
