"""Fashion-MNIST: find it, check it, load it, split off a validation set
(introduced in chapter 1)."""

import gzip
import hashlib
import math
import os
import shutil
import zlib
from pathlib import Path
from types import SimpleNamespace

import torch

from utils import config

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
# every IDX file: how many items it holds, and the SHA-256 of its decompressed
# bytes (Debian re-gzips the files, so only what they hold is the original)
FILES = {
    "train-images-idx3-ubyte": (
        60_000,
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    ),
    "train-labels-idx1-ubyte": (
        60_000,
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    ),
    "t10k-images-idx3-ubyte": (
        10_000,
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    ),
    "t10k-labels-idx1-ubyte": (
        10_000,
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    ),
}
KINDS = {2049: "a label file", 2051: "an image file"}  # IDX magic numbers
FIX = (
    "Nothing was cached. Replace it with a good copy (Debian: apt-get "
    "install --reinstall dataset-fashion-mnist), or set FASHION_MNIST_DIR "
    "to a folder of good copies, and run again."
)


def _problem(content: bytes, name: str) -> str:
    """What is wrong with ``content`` as the IDX file ``name``, or ``""``."""
    count, sha256 = FILES[name]
    images = "images" in name
    magic, shape = (2051, (count, 28, 28)) if images else (2049, (count,))
    found = int.from_bytes(content[:4], "big")
    if found != magic:
        kind = KINDS.get(found, "not an IDX file")
        return (
            f"magic number {found} ({kind}), expected {magic} ({KINDS[magic]})"
        )
    header = 4 + 4 * len(shape)
    dims = tuple(
        int.from_bytes(content[i : i + 4], "big") for i in range(4, header, 4)
    )
    if dims != shape:
        return f"shape {dims}, expected {shape}"
    if len(content) != header + math.prod(shape):
        return (
            f"{len(content):,} bytes, expected "
            f"{header + math.prod(shape):,} (truncated?)"
        )
    if not images and max(content[header:]) > 9:
        return f"a label is {max(content[header:])}, expected 0 to 9"
    if sha256 and hashlib.sha256(content).hexdigest() != sha256:
        return "its SHA-256 is not the original's (the file was changed)"
    return ""


def _find(folder: Path, name: str) -> Path | None:
    for path in (folder / name, folder / f"{name}.gz"):
        if path.is_file():
            return path
    return None


def _decompressed(path: Path) -> bytes:
    try:
        content = path.read_bytes()
        return gzip.decompress(content) if path.suffix == ".gz" else content
    except (EOFError, OSError, zlib.error) as error:
        raise ValueError(
            f"{path} cannot be read or decompressed: {error}. {FIX}"
        ) from None


def _cache(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` through a temporary file, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    try:
        partial.write_bytes(content)
        os.replace(partial, path)  # a half-written file never gets the name
    finally:
        partial.unlink(missing_ok=True)


def _download(folder: Path, names: list[str], source: Path) -> Path:
    """torchvision's download into ``folder``, for machines without the files
    (Colab); returns the folder of the IDX files."""
    from torchvision.datasets import FashionMNIST

    try:
        FashionMNIST(folder, train=False, download=True)
    except Exception as error:  # offline, or a server that is down
        raise FileNotFoundError(
            f"no Fashion-MNIST: {source} lacks {', '.join(names)}, and the "
            f"download failed ({error!r}). Go online, set FASHION_MNIST_DIR "
            "to a folder of the four IDX files, or apt-get install "
            "dataset-fashion-mnist"
        ) from error
    return folder / "FashionMNIST" / "raw"


def _prepare() -> tuple[Path, dict[str, bytes]]:
    """The cache root and the checked contents of the four files."""
    root = config.data_root()
    raw = root / "FashionMNIST" / "raw"
    source, chosen = config.fashion_mnist_source()
    if chosen and not source.is_dir():
        raise FileNotFoundError(
            f"FASHION_MNIST_DIR={source} is not a folder: fix the path or "
            "unset the variable"
        )
    found = {name: _find(source, name) for name in FILES}
    missing = [name for name, path in found.items() if path is None]
    if chosen and missing:
        raise FileNotFoundError(
            f"FASHION_MNIST_DIR={source} lacks {', '.join(missing)} (.gz or "
            "not): fix the folder or unset the variable"
        )
    contents: dict[str, bytes] = {}
    download = root / f"download.{os.getpid()}.partial"
    try:
        for name in FILES:
            cached = raw / name
            content = cached.read_bytes() if cached.is_file() else b""
            if _problem(content, name):  # absent or damaged: never trusted
                path = (
                    found[name] or _download(download, missing, source) / name
                )
                content = _decompressed(path)
                if problem := _problem(content, name):
                    raise ValueError(f"{path} is damaged: {problem}. {FIX}")
                _cache(cached, content)  # replaces a damaged copy, if any
            contents[name] = content
    finally:
        shutil.rmtree(download, ignore_errors=True)
    return root, contents


def prepare_fashion_mnist() -> Path:
    """The data cache (``$CNN_COURSE_DATA``), ready for torchvision's
    ``FashionMNIST(root)``: the four IDX files of ``$FASHION_MNIST_DIR`` (or
    Debian's, or downloaded) decompressed into ``FashionMNIST/raw``, each
    checked (magic number, shape, labels 0 to 9, SHA-256) before it is
    cached; a damaged copy in the cache is replaced.

    >>> (prepare_fashion_mnist() / "FashionMNIST" / "raw").is_dir()
    True
    """
    return _prepare()[0]


def _tensor(content: bytes, name: str) -> torch.Tensor:
    count = FILES[name][0]
    if "images" in name:
        flat = torch.frombuffer(bytearray(content[16:]), dtype=torch.uint8)
        return flat.view(count, 28, 28)
    return torch.frombuffer(bytearray(content[8:]), dtype=torch.uint8).long()


def load_fashion_mnist(
    *, val_per_class: int = 500, seed: int = 0
) -> SimpleNamespace:
    """Fashion-MNIST in memory: ``uint8`` images ``(N, 28, 28)``, ``int64``
    labels. ``train_*`` and ``val_*`` (``val_per_class`` of each class, drawn
    with ``seed``) split the 60,000 training images; ``test_*`` is the
    official 10,000. Choose on val; score test once.

    >>> data = load_fashion_mnist()
    >>> len(data.train_images), len(data.val_images), len(data.test_images)
    (55000, 5000, 10000)
    """
    _, contents = _prepare()
    images, labels, test_images, test_labels = (
        _tensor(contents[name], name) for name in FILES
    )
    generator = torch.Generator().manual_seed(seed)
    val = torch.zeros(len(labels), dtype=torch.bool)
    for label in range(10):
        members = (labels == label).nonzero().flatten()
        if len(members) <= val_per_class:
            raise ValueError(
                f"class {label} has {len(members)} training images, too few "
                f"to keep {val_per_class} for validation"
            )
        drawn = torch.randperm(len(members), generator=generator)
        val[members[drawn[:val_per_class]]] = True
    return SimpleNamespace(
        train_images=images[~val],
        train_labels=labels[~val],
        val_images=images[val],
        val_labels=labels[val],
        test_images=test_images,
        test_labels=test_labels,
        classes=FASHION_CLASSES,
    )


def to_float_images(images: torch.Tensor) -> torch.Tensor:
    """``uint8`` images ``(N, H, W)`` to ``float32`` ``(N, 1, H, W)`` in
    [0, 1].

    >>> to_float_images(torch.tensor([[[0, 255]]], dtype=torch.uint8)).tolist()
    [[[[0.0, 1.0]]]]
    """
    if images.dtype != torch.uint8 or images.ndim != 3:
        raise ValueError(
            f"expected uint8 images (N, H, W), got {images.dtype} "
            f"{tuple(images.shape)}"
        )
    return images.unsqueeze(1).float().div_(255)
