"""Figures with one consistent look: training curves, image grids, feature-map grids.

Every helper returns the matplotlib ``Figure`` (end the cell with ``plt.show()`` or ``;``).
Figure text stays in English: matplotlib's default fonts have no Korean glyphs.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

STYLE = {
    "figure.dpi": 100,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "font.size": 10,
}


def plot_history(
    histories: dict[str, dict[str, list[float]]] | dict[str, list[float]], title: str = ""
) -> Figure:
    """Plot loss and accuracy per epoch from one history of :func:`utils.train.fit`, or from a
    dict of named histories.

    Training curves are solid, validation curves dashed, one colour per run.

    >>> fig = plot_history({"epoch": [1, 2], "train_loss": [0.9, 0.5], "train_acc": [0.6, 0.8],
    ...                     "val_loss": [0.8, 0.6], "val_acc": [0.7, 0.75], "seconds": [1, 1]})
    >>> len(fig.axes)
    2
    """
    if "epoch" in histories:
        histories = {"": histories}  # a single run
    if not histories:
        raise ValueError("plot_history needs at least one history")
    with plt.rc_context(STYLE):
        fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(10, 3.6))
        for index, (name, history) in enumerate(histories.items()):
            color = f"C{index}"
            label = f"{name} " if name else ""
            for ax, key in ((loss_ax, "loss"), (acc_ax, "acc")):
                ax.plot(
                    history["epoch"],
                    history[f"train_{key}"],
                    "-o",
                    color=color,
                    ms=3,
                    label=f"{label}train",
                )
                if not np.isnan(history[f"val_{key}"]).all():
                    ax.plot(
                        history["epoch"],
                        history[f"val_{key}"],
                        "--s",
                        color=color,
                        ms=3,
                        label=f"{label}validation",
                    )
        loss_ax.set(xlabel="epoch", ylabel="cross-entropy loss", title="Loss")
        acc_ax.set(xlabel="epoch", ylabel="accuracy", title="Accuracy")
        acc_ax.yaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
        for ax in (loss_ax, acc_ax):
            ax.xaxis.set_major_locator(plt.matplotlib.ticker.MaxNLocator(integer=True))
            ax.legend(fontsize=8)
        if title:
            fig.suptitle(title)
        fig.tight_layout()
    return fig


def _as_image(image: torch.Tensor | np.ndarray) -> np.ndarray:
    array = image.detach().float().cpu().numpy() if isinstance(image, torch.Tensor) else image
    array = np.asarray(array)
    if array.ndim == 3 and array.shape[0] in (1, 3):  # (C, H, W) -> (H, W, C)
        array = array.transpose(1, 2, 0)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    return array


def show_images(
    images: torch.Tensor | np.ndarray | Sequence,
    labels: Sequence[int] | torch.Tensor | None = None,
    classes: Sequence[str] | None = None,
    *,
    predictions: Sequence[int] | torch.Tensor | None = None,
    ncols: int = 8,
    title: str = "",
    size: float = 1.4,
) -> Figure:
    """Show images in a grid, optionally titled with labels (and predictions in red when wrong).

    Accepts ``(N, H, W)``, ``(N, 1, H, W)`` or ``(N, 3, H, W)`` tensors or arrays.

    >>> fig = show_images(torch.rand(4, 28, 28), labels=[0, 1, 2, 3], ncols=4)
    >>> len(fig.axes)
    4
    """
    count = len(images)
    if count == 0:
        raise ValueError("show_images got no images")
    if labels is not None and len(labels) != count:
        raise ValueError(f"{count} images but {len(labels)} labels")
    ncols = min(ncols, count)
    nrows = -(-count // ncols)
    name = (lambda i: classes[int(i)]) if classes is not None else (lambda i: str(int(i)))
    with plt.rc_context({**STYLE, "axes.grid": False}):
        fig, axes = plt.subplots(
            nrows, ncols, figsize=(size * ncols, size * nrows + 0.3), squeeze=False
        )
        for index, ax in enumerate(axes.flat):
            ax.axis("off")
            if index >= count:
                continue
            image = _as_image(images[index])
            ax.imshow(image, cmap="gray" if image.ndim == 2 else None)
            if labels is not None:
                text, color = name(labels[index]), "black"
                if predictions is not None:
                    wrong = int(predictions[index]) != int(labels[index])
                    text = f"{text}\n→ {name(predictions[index])}" if wrong else text
                    color = "crimson" if wrong else "black"
                ax.set_title(text, fontsize=8, color=color)
        if title:
            fig.suptitle(title)
        fig.tight_layout()
    return fig


def show_feature_maps(
    maps: torch.Tensor | np.ndarray,
    *,
    ncols: int = 8,
    title: str = "",
    signed: bool = False,
    size: float = 1.1,
    names: Sequence[str] | None = None,
) -> Figure:
    """Show a stack of 2-D maps ``(C, H, W)``: feature maps, or filters (``(C, 1, k, k)``).

    ``signed=True`` uses a diverging colour map with limits symmetric around zero (for
    filters and signed responses); otherwise a grey map scaled to each map's range.

    >>> fig = show_feature_maps(torch.rand(6, 5, 5), ncols=3)
    >>> len(fig.axes)
    6
    """
    array = (
        maps.detach().float().cpu().numpy() if isinstance(maps, torch.Tensor) else np.asarray(maps)
    )
    if array.ndim == 4 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 3:
        raise ValueError(f"expected maps of shape (C, H, W) or (C, 1, H, W), got {array.shape}")
    count = len(array)
    ncols = min(ncols, count)
    nrows = -(-count // ncols)
    with plt.rc_context({**STYLE, "axes.grid": False}):
        fig, axes = plt.subplots(
            nrows, ncols, figsize=(size * ncols, size * nrows + 0.4), squeeze=False
        )
        for index, ax in enumerate(axes.flat):
            ax.axis("off")
            if index >= count:
                continue
            if signed:
                limit = float(np.abs(array[index]).max()) or 1.0
                ax.imshow(array[index], cmap="RdBu_r", vmin=-limit, vmax=limit)
            else:
                ax.imshow(array[index], cmap="gray")
            ax.set_title(names[index] if names is not None else str(index), fontsize=7)
        if title:
            fig.suptitle(title)
        fig.tight_layout()
    return fig
