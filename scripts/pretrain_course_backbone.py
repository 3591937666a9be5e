"""Pretrain the course backbone on the source task and save it to checkpoints/.

    python scripts/pretrain_course_backbone.py            # about a minute on a
    2-core CPU

The source task is Fashion-MNIST restricted to ``SOURCE_CLASSES`` (T-shirt/top,
Trouser, Dress, Sandal, Bag): their 27,500 images of the course's training
split. Chapter 9 (09_vgg_transfer) transfers the backbone to
``TARGET_CLASSES``, which share no class and therefore no image with the
source. Training reports the source classes' validation images after every
epoch; the test set is evaluated once, on the final model. The checkpoint
records the source classes, widths, epochs, seed and both accuracies;
``tests/test_pretrained.py`` checks that the committed file still reaches its
recorded validation accuracy.

The augmentation is ``random_shift`` without flips: sandals, like the other
footwear of Fashion-MNIST, all point the same way, so a mirrored sandal is a
view the test set never shows (chapter 9 measures this, and lets its validation
set choose the recipe of the target task).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from utils import (  # noqa: E402  (the repository root is on sys.path only now)
    CHECKPOINT_DIR,
    TensorBatches,
    VGGStyleNet,
    evaluate,
    fit,
    load_fashion_mnist,
    random_shift,
    save_checkpoint,
    seed_everything,
    to_float_images,
)

SOURCE_CLASSES = (0, 1, 3, 5, 8)  # T-shirt/top, Trouser, Dress, Sandal, Bag
TARGET_CLASSES = (
    2,
    4,
    6,
    7,
    9,
)  # Pullover, Coat, Shirt, Sneaker, Ankle boot (chapter 9)
WIDTHS = (16, 32, 64)
CHECKPOINT = CHECKPOINT_DIR / "course_backbone.pt"


def select_classes(
    images: torch.Tensor, labels: torch.Tensor, classes: tuple[int, ...]
) -> tuple[torch.Tensor, torch.Tensor]:
    """The examples whose label is in ``classes``, relabelled 0..len(classes)-1
    in that order.

    >>> images, labels = select_classes(
    ...     torch.zeros(6, 2), torch.tensor([5, 2, 0, 2, 9, 5]), (2, 5)
    ... )
    >>> len(images), labels.tolist()
    (4, [1, 0, 0, 1])
    """
    if not classes or len(set(classes)) != len(classes):
        raise ValueError(
            f"classes must be distinct and non-empty, got {classes}"
        )
    lookup = torch.full(
        (max(int(labels.max()), *classes) + 1,), -1, dtype=torch.long
    )
    lookup[list(classes)] = torch.arange(len(classes))
    new_labels = lookup[labels.long()]
    keep = new_labels >= 0
    return images[keep], new_labels[keep]


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--out", type=Path, default=CHECKPOINT)
    args = parser.parse_args(argv)

    # on the CPU on purpose (no .to(device)): a seeded CPU run is repeatable;
    # it takes a minute
    seed_everything(args.seed)
    data = load_fashion_mnist()
    splits = {
        name: select_classes(
            to_float_images(getattr(data, f"{name}_images")),
            getattr(data, f"{name}_labels"),
            SOURCE_CLASSES,
        )
        for name in ("train", "val", "test")
    }
    train = TensorBatches(
        *splits["train"],
        batch_size=128,
        shuffle=True,
        seed=args.seed,
        transform=random_shift,
    )
    val = TensorBatches(*splits["val"], batch_size=1000)

    model = VGGStyleNet(num_classes=len(SOURCE_CLASSES), widths=WIDTHS)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=args.epochs
    )
    start = time.perf_counter()
    history = fit(
        model,
        train,
        val,
        epochs=args.epochs,
        optimizer=optimizer,
        scheduler=scheduler,
    )
    # the one look at the test set, on the final model
    _, test_accuracy = evaluate(
        model, TensorBatches(*splits["test"], batch_size=1000)
    )
    path = save_checkpoint(
        args.out,
        model,
        source_classes=list(SOURCE_CLASSES),
        target_classes=list(TARGET_CLASSES),
        widths=list(WIDTHS),
        epochs=args.epochs,
        seed=args.seed,
        learning_rate=args.lr,
        augmentation="random_shift (max_shift=2, no flips)",
        train_images=len(splits["train"][0]),
        source_val_images=len(splits["val"][0]),
        source_val_accuracy=round(history["val_acc"][-1], 4),
        source_test_images=len(splits["test"][0]),
        source_test_accuracy=round(test_accuracy, 4),
        torch_version=str(torch.__version__),
    )
    print(
        f"source-task validation accuracy {history['val_acc'][-1]:.2%}, "
        f"test accuracy {test_accuracy:.2%} after {args.epochs} epochs "
        f"({time.perf_counter() - start:.0f} s); "
        f"wrote {path} ({path.stat().st_size:,} bytes)"
    )
    return path


if __name__ == "__main__":
    main()
