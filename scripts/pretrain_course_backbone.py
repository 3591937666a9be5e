"""Pretrain the course backbone on the source task and save it to checkpoints/.

    python scripts/pretrain_course_backbone.py            # ~1 minute on a 2-core CPU

The source task is Fashion-MNIST restricted to ``utils.pretrained.SOURCE_CLASSES`` (30,000
training images of T-shirts, trousers, dresses, sandals and bags). Chapter 8 transfers the
backbone to ``TARGET_CLASSES``, which share no class and therefore no image with the source.
The checkpoint records the source classes, epochs, seed and the source-task test accuracy;
``tests/test_pretrained.py`` checks that the committed file still reaches that accuracy.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from utils import (  # noqa: E402  (the repository root is on sys.path only now)
    TensorBatches,
    VGGStyleNet,
    evaluate,
    fit,
    load_fashion_mnist,
    random_flip_and_shift,
    save_checkpoint,
    seed_everything,
    to_float_images,
)
from utils.pretrained import (  # noqa: E402
    COURSE_CHECKPOINT,
    SOURCE_CLASSES,
    TARGET_CLASSES,
    select_classes,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--out", type=Path, default=COURSE_CHECKPOINT)
    args = parser.parse_args()

    # on the CPU on purpose (no .to(device)): a seeded CPU run is repeatable; it takes a minute
    seed_everything(args.seed)
    data = load_fashion_mnist()
    train_images, train_labels = select_classes(
        to_float_images(data.train_images), data.train_labels, SOURCE_CLASSES
    )
    test_images, test_labels = select_classes(
        to_float_images(data.test_images), data.test_labels, SOURCE_CLASSES
    )
    train = TensorBatches(
        train_images,
        train_labels,
        batch_size=128,
        shuffle=True,
        seed=args.seed,
        transform=random_flip_and_shift,
    )
    test = TensorBatches(test_images, test_labels, batch_size=1000)

    widths = (16, 32, 64)
    model = VGGStyleNet(num_classes=len(SOURCE_CLASSES), widths=widths)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    start = time.perf_counter()
    fit(
        model,
        train,
        test,
        epochs=args.epochs,
        optimizer=optimizer,
        scheduler=scheduler,
        progress=False,
    )
    _, accuracy = evaluate(model, test)
    path = save_checkpoint(
        args.out,
        model,
        source_classes=list(SOURCE_CLASSES),
        target_classes=list(TARGET_CLASSES),
        widths=list(widths),
        epochs=args.epochs,
        seed=args.seed,
        learning_rate=args.lr,
        augmentation="random_flip_and_shift",
        train_images=len(train_images),
        source_test_images=len(test_images),
        source_test_accuracy=round(accuracy, 4),
        torch_version=str(torch.__version__),
    )
    print(
        f"source-task test accuracy {accuracy:.2%} after {args.epochs} epochs "
        f"({time.perf_counter() - start:.0f} s); wrote {path} ({path.stat().st_size:,} bytes)"
    )


if __name__ == "__main__":
    main()
