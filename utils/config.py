"""Every environment variable the course reads, read here and nowhere else;
the table in README.md and api.md says what each chooses and its default.

Outputs that are stored or compared (the pages and their tests) come from
the CPU without progress bars: :func:`for_stored_outputs`, used by
``conftest.py`` and ``scripts/notebook_tools.py``.

The examples set a variable only inside ``patch.dict``, which restores the
environment afterwards.
"""

import os
from pathlib import Path
from unittest.mock import patch  # noqa: F401 (the examples use it)

DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
VARIABLES = (
    "CNN_COURSE_DEVICE",
    "CNN_COURSE_PROGRESS",
    "CNN_COURSE_DATA",
    "FASHION_MNIST_DIR",
    "CNN_COURSE_BACKBONE",
    "CELEBA_DIR",
)


def _get(name: str) -> str:
    return os.environ.get(name, "").strip()


def device_request() -> str:
    """The device asked for in ``$CNN_COURSE_DEVICE``, or ``""``: choose.

    >>> with patch.dict(os.environ, {"CNN_COURSE_DEVICE": " cuda:1 "}):
    ...     device_request()
    'cuda:1'
    """
    return _get("CNN_COURSE_DEVICE")


def show_progress() -> bool:
    """``False`` when ``$CNN_COURSE_PROGRESS`` is ``0`` (stored pages, CI).

    >>> with patch.dict(os.environ, {"CNN_COURSE_PROGRESS": "0"}):
    ...     show_progress()
    False
    """
    return _get("CNN_COURSE_PROGRESS") != "0"


def data_root() -> Path:
    """``$CNN_COURSE_DATA``, or ``~/.cache/cnn-course``: the data cache.

    >>> with patch.dict(os.environ, {"CNN_COURSE_DATA": "/tmp/cache"}):
    ...     data_root().as_posix()
    '/tmp/cache'
    """
    return Path(
        _get("CNN_COURSE_DATA") or Path.home() / ".cache" / "cnn-course"
    )


def fashion_mnist_source() -> tuple[Path, bool]:
    """The folder of the Fashion-MNIST files, and whether the user chose it
    (``$FASHION_MNIST_DIR``) rather than Debian's default.

    >>> with patch.dict(os.environ, {"FASHION_MNIST_DIR": ""}):
    ...     fashion_mnist_source() == (DEBIAN_FASHION_MNIST, False)
    True
    """
    chosen = _get("FASHION_MNIST_DIR")
    return Path(chosen or DEBIAN_FASHION_MNIST), bool(chosen)


def for_stored_outputs() -> dict[str, str]:
    """The variables of a run whose outputs are stored or compared: the CPU
    (unless ``$CNN_COURSE_DEVICE`` names a device) and no progress bars.

    >>> with patch.dict(os.environ, {"CNN_COURSE_DEVICE": ""}):
    ...     for_stored_outputs()
    {'CNN_COURSE_DEVICE': 'cpu', 'CNN_COURSE_PROGRESS': '0'}
    """
    device = device_request() or "cpu"
    return {"CNN_COURSE_DEVICE": device, "CNN_COURSE_PROGRESS": "0"}


def backbone_choice() -> str:
    """``$CNN_COURSE_BACKBONE``: ``course`` (the default) or ``imagenet``.

    >>> with patch.dict(os.environ, {"CNN_COURSE_BACKBONE": "ImageNet"}):
    ...     backbone_choice()
    'imagenet'
    """
    choice = _get("CNN_COURSE_BACKBONE").lower() or "course"
    if choice not in ("course", "imagenet"):
        raise ValueError(
            f"CNN_COURSE_BACKBONE={choice!r}: use course or imagenet"
        )
    return choice


def celeba_dir() -> Path | None:
    """``$CELEBA_DIR``, the folder that contains torchvision's ``celeba/``
    folder (chapter 13's optional CelebA run), or ``None`` when it is not
    set.

    >>> with patch.dict(os.environ, {"CELEBA_DIR": "/data/faces"}):
    ...     celeba_dir().as_posix()
    '/data/faces'
    """
    chosen = _get("CELEBA_DIR")
    return Path(chosen) if chosen else None
