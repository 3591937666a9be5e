"""Figures with one look for every chapter: training curves, image grids, feature maps.

Each helper returns the ``Figure`` (end the cell with ``plt.show()``). Figure text stays in
English: matplotlib's default fonts have no Korean glyphs.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

STYLE = {"figure.dpi": 100, "axes.grid": True, "grid.alpha": 0.3, "axes.spines.top": False,
         "axes.spines.right": False, "axes.titlesize": 11, "font.size": 10}  # fmt: skip


def plot_history(histories: dict, title: str = "") -> Figure:
    """Loss and accuracy per epoch of one :func:`utils.fit` history, or of a dict of named
    histories: training solid, validation dashed, one colour per run.

    >>> history = {"epoch": [1, 2], "train_loss": [0.9, 0.5], "train_acc": [0.6, 0.8],
    ...            "val_loss": [0.8, 0.6], "val_acc": [0.7, 0.75]}
    >>> len(plot_history({"a": history, "b": history}).axes[0].lines)
    4
    """
    histories = {"": histories} if "epoch" in histories else histories
    if not histories:
        raise ValueError("plot_history needs at least one history")
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
        for index, (name, history) in enumerate(histories.items()):
            for ax, key in zip(axes, ("loss", "acc"), strict=True):
                for split, style in (("train", "-o"), ("val", "--s")):
                    values = history.get(f"{split}_{key}", [])
                    if len(values) and not np.isnan(values).all():
                        label = f"{name} {'validation' if split == 'val' else split}".strip()
                        ax.plot(history["epoch"], values, style, color=f"C{index}", ms=3,
                                label=label)  # fmt: skip
        axes[0].set(xlabel="epoch", ylabel="cross-entropy loss", title="Loss")
        axes[1].set(xlabel="epoch", ylabel="accuracy", title="Accuracy")
        axes[1].yaxis.set_major_formatter(PercentFormatter(1.0))
        for ax in axes:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.legend(fontsize=8)
        fig.suptitle(title)
        fig.tight_layout()
    return fig


def _grid(count: int, ncols: int, size: float) -> tuple[Figure, np.ndarray]:
    if count == 0:
        raise ValueError("nothing to show: got no images")
    ncols = min(ncols, count)
    nrows = -(-count // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.4), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    return fig, axes.flat[:count]


def show_images(images: torch.Tensor | np.ndarray, labels: Sequence[int] | None = None,
                classes: Sequence[str] | None = None, *,
                predictions: Sequence[int] | None = None, ncols: int = 8, title: str = "",
                size: float = 1.4) -> Figure:  # fmt: skip
    """Images ``(N, H, W)``, ``(N, 1, H, W)`` or ``(N, 3, H, W)`` in a grid, titled with their
    labels; a wrong prediction is added in red.

    >>> len(show_images(torch.rand(4, 28, 28), labels=[0, 1, 2, 3]).axes)
    4
    """
    if labels is not None and len(labels) != len(images):
        raise ValueError(f"{len(images)} images but {len(labels)} labels")
    name = (lambda i: classes[int(i)]) if classes is not None else (lambda i: str(int(i)))
    with plt.rc_context({**STYLE, "axes.grid": False}):
        fig, axes = _grid(len(images), ncols, size)
        for index, ax in enumerate(axes):
            image = np.asarray(torch.as_tensor(images[index]).detach().float().cpu())
            image = image.transpose(1, 2, 0) if image.ndim == 3 else image
            image = image[:, :, 0] if image.ndim == 3 and image.shape[2] == 1 else image
            ax.imshow(image, cmap="gray" if image.ndim == 2 else None)
            if labels is not None:
                wrong = predictions is not None and int(predictions[index]) != int(labels[index])
                text = name(labels[index]) + (f"\n→ {name(predictions[index])}" if wrong else "")
                ax.set_title(text, fontsize=8, color="crimson" if wrong else "black")
        fig.suptitle(title)
        fig.tight_layout()
    return fig


def show_feature_maps(maps: torch.Tensor | np.ndarray, *, ncols: int = 8, title: str = "",
                      signed: bool = False, size: float = 1.1,
                      names: Sequence[str] | None = None) -> Figure:  # fmt: skip
    """A stack of maps ``(C, H, W)`` or filters ``(C, 1, k, k)``: grey, or with ``signed`` a
    diverging map with limits symmetric around zero.

    >>> len(show_feature_maps(torch.rand(6, 5, 5), ncols=3).axes)
    6
    """
    array = np.asarray(torch.as_tensor(maps).detach().float().cpu())
    array = array[:, 0] if array.ndim == 4 and array.shape[1] == 1 else array
    if array.ndim != 3:
        raise ValueError(f"expected maps (C, H, W) or (C, 1, H, W), got shape {array.shape}")
    with plt.rc_context({**STYLE, "axes.grid": False}):
        fig, axes = _grid(len(array), ncols, size)
        for index, ax in enumerate(axes):
            limit = float(np.abs(array[index]).max()) or 1.0
            colours = {"cmap": "RdBu_r", "vmin": -limit, "vmax": limit} if signed else {"cmap": "gray"}
            ax.imshow(array[index], **colours)
            ax.set_title(names[index] if names is not None else str(index), fontsize=7)
        fig.suptitle(title)
        fig.tight_layout()
    return fig
