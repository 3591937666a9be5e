"""Train the course's VGG-style network on all of Fashion-MNIST and save a small checkpoint.

    CNN_COURSE_DEVICE=cpu python scripts/train_fashion_vgg.py    # about 3 minutes on 2 CPU cores

Writes ``checkpoints/fashion_vgg.pt`` (about 290 KB), which chapter 11 loads with
``utils.load_checkpoint`` to draw feature maps and class activation maps without training.
It trains on the 55,000 training images of ``utils.load_fashion_mnist``, reports the
5,000 validation images after every epoch, and scores the test set once, at the end. The
metadata records both accuracies, the epochs, the seed and this script's name;
``tests/test_fashion_vgg_checkpoint.py`` checks that the file still reaches them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from utils import (
    CHECKPOINT_DIR,
    TensorBatches,
    VGGStyleNet,
    evaluate,
    fit,
    get_device,
    load_fashion_mnist,
    save_checkpoint,
    seed_everything,
    to_float_images,
)

SCRIPT = "scripts/train_fashion_vgg.py"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--output", type=Path, default=CHECKPOINT_DIR / "fashion_vgg.pt")
    args = parser.parse_args()

    seed_everything(args.seed)
    device = get_device()
    data = load_fashion_mnist()
    train = TensorBatches(
        to_float_images(data.train_images),
        data.train_labels,
        batch_size=args.batch_size,
        shuffle=True,
        seed=args.seed,
        device=device,
    )
    val = TensorBatches(
        to_float_images(data.val_images), data.val_labels, batch_size=1000, device=device
    )
    test = TensorBatches(
        to_float_images(data.test_images), data.test_labels, batch_size=1000, device=device
    )

    model = VGGStyleNet().to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    # cosine decay over the epochs: a large step early, small steps to settle at the end
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    # the recipe is chapter 8's; validation is watched per epoch, the test set scored once
    history = fit(model, train, val, epochs=args.epochs, optimizer=optimizer, scheduler=scheduler)
    _, test_accuracy = evaluate(model, test)
    print(f"test accuracy {test_accuracy:.2%} on {len(data.test_labels):,} images")

    path = save_checkpoint(
        args.output,
        model.cpu(),
        test_accuracy=test_accuracy,
        val_accuracy=history["val_acc"][-1],
        train_accuracy=history["train_acc"][-1],
        epochs=args.epochs,
        seed=args.seed,
        script=SCRIPT,
        device=device.type,
        torch_version=torch.__version__.split("+")[0],
    )
    print(f"saved {path} ({path.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
