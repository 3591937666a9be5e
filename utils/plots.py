"""Figures with one look in every chapter (English text: default fonts lack
Korean glyphs)."""

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

STYLE = {
    "figure.dpi": 100,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "font.size": 10,
}


def plot_history(histories: dict, title: str = "") -> Figure:
    """Loss and accuracy per epoch of a :func:`utils.train.fit` history, or
    of a dict of named histories: training solid, validation dashed, one
    colour per run.

    >>> run = {"epoch": [1, 2], "train_loss": [0.9, 0.5],
    ...        "train_acc": [0.6, 0.8], "val_loss": [0.8, 0.6],
    ...        "val_acc": [0.7, 0.75]}
    >>> len(plot_history({"a": run, "b": run}).axes[0].lines)
    4
    """
    histories = {"": histories} if "epoch" in histories else histories
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
        for index, (name, history) in enumerate(histories.items()):
            for ax, key in zip(axes, ("loss", "acc"), strict=True):
                for split, style, label in (
                    ("train", "-o", "train"),
                    ("val", "--s", "validation"),
                ):
                    values = history.get(f"{split}_{key}", [])
                    if len(values) and not np.isnan(values).all():
                        ax.plot(
                            history["epoch"],
                            values,
                            style,
                            color=f"C{index}",
                            ms=3,
                            label=f"{name} {label}".strip(),
                        )
        axes[0].set(xlabel="epoch", ylabel="cross-entropy loss", title="Loss")
        axes[1].set(xlabel="epoch", ylabel="accuracy", title="Accuracy")
        axes[1].yaxis.set_major_formatter(PercentFormatter(1.0))
        for ax in axes:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.legend(fontsize=8)
        fig.suptitle(title)
        fig.tight_layout()
    return fig


def show_images(
    images: torch.Tensor | np.ndarray,
    labels: Sequence[int] | None = None,
    classes: Sequence[str] | None = None,
    *,
    predictions: Sequence[int] | None = None,
    names: Sequence[str] | None = None,
    signed: bool = False,
    ncols: int = 8,
    title: str = "",
    size: float = 1.4,
) -> Figure:
    """Images or maps ``(N, [C,] H, W)`` in a grid, titled by ``labels``
    (wrong ``predictions`` in red) or ``names``; ``signed``: a diverging
    colour map symmetric around zero (filters).

    >>> len(show_images(torch.rand(4, 28, 28), labels=[0, 1, 2, 3]).axes)
    4
    """
    if len(images) == 0 or (labels is not None and len(labels) != len(images)):
        raise ValueError(
            f"got {len(images)} images and {len(labels or [])} labels"
        )

    def name(label) -> str:
        return str(int(label)) if classes is None else classes[int(label)]

    ncols = min(ncols, len(images))
    nrows = -(-len(images) // ncols)  # ceiling division
    with plt.rc_context({**STYLE, "axes.grid": False}):
        figsize = (size * ncols, size * nrows + 0.4)
        fig, axes = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False)
        for index, ax in enumerate(axes.flat):
            ax.axis("off")
            if index >= len(images):
                continue
            image = torch.as_tensor(images[index]).detach().float().cpu()
            if image.ndim == 3:  # (C, H, W) to (H, W, C); (H, W) if C is 1
                image = image.permute(1, 2, 0).squeeze(2)
            limit = image.abs().max().item() or 1.0
            if signed:
                colours = {"cmap": "RdBu_r", "vmin": -limit, "vmax": limit}
            else:
                colours = {"cmap": "gray" if image.ndim == 2 else None}
            ax.imshow(image.numpy(), **colours)
            if labels is not None:
                wrong = predictions is not None and int(
                    predictions[index]
                ) != int(labels[index])
                text = name(labels[index]) + (
                    f"\n→ {name(predictions[index])}" if wrong else ""
                )
                ax.set_title(
                    text, fontsize=8, color="crimson" if wrong else "black"
                )
            else:  # maps and filters: their names, or their index
                ax.set_title(
                    names[index] if names is not None else str(index),
                    fontsize=7,
                )
        fig.suptitle(title)
        fig.tight_layout()
    return fig


# feature maps (C, H, W) or filters (C, 1, k, k), titled by their index
show_feature_maps = show_images
