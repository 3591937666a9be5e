"""Train the course's VGG-style network on Fashion-MNIST's training split.

    CNN_COURSE_DEVICE=cpu python scripts/train_fashion_vgg.py

Writes ``checkpoints/fashion_vgg.pt`` (about 290 KB), which chapter 12 loads
with ``utils.load_checkpoint`` to draw feature maps and class activation maps
without training. It trains on the 55,000 images of the training split of
``utils.load_fashion_mnist`` only; the 5,000 validation images are held out
(reported after every epoch, analysed in chapter 12) and the 10,000 test
images are scored once, at the end. The recipe is fixed, not tuned: AdamW
(lr 2e-3, weight decay 1e-4), batch 128, a cosine schedule over 4 epochs
stepped once per epoch, seed 0. The metadata records the recipe, the
accuracies and this script's name; ``tests/test_fashion_vgg_checkpoint.py``
checks that the file still reaches them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from utils import (
    CHECKPOINT_DIR,
    VGGStyleNet,
    batches,
    evaluate,
    fit,
    get_device,
    load_fashion_mnist,
    save_checkpoint,
    seed_everything,
)

SCRIPT = "scripts/train_fashion_vgg.py"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--weight-decay", type=float, default=1e-4)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument(
        "--output", type=Path, default=CHECKPOINT_DIR / "fashion_vgg.pt"
    )
    args = parser.parse_args()

    seed_everything(args.seed)
    device = get_device()
    data = load_fashion_mnist()
    train = batches(
        data,
        "train",
        batch_size=args.batch_size,
        shuffle=True,
        seed=args.seed,
        device=device,
    )
    val = batches(data, "val", device=device)

    model = VGGStyleNet().to(device)  # the first random draws after seeding
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=args.lr, weight_decay=args.weight_decay
    )
    # cosine decay, one step per epoch: large steps early, small at the end
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=args.epochs
    )
    history = fit(
        model,
        train,
        val,
        epochs=args.epochs,
        optimizer=optimizer,
        scheduler=scheduler,
    )
    # the recipe was fixed in advance: the test set is scored once, here
    _, test_accuracy = evaluate(model, batches(data, "test", device=device))
    print(f"test accuracy {test_accuracy:.2%} on {len(data.test_labels):,}")

    path = save_checkpoint(
        args.output,
        model.cpu(),
        trained_on="train",
        train_images=len(data.train_labels),
        held_out=["val", "test"],
        epochs=args.epochs,
        batch_size=args.batch_size,
        optimizer=f"AdamW(lr={args.lr:g}, weight_decay={args.weight_decay:g})",
        schedule=f"CosineAnnealingLR(T_max={args.epochs}), once per epoch",
        seed=args.seed,
        train_accuracy=history["train_acc"][-1],
        val_accuracy=history["val_acc"][-1],
        val_accuracy_per_epoch=history["val_acc"],
        test_accuracy=test_accuracy,
        script=SCRIPT,
        device=device.type,
        torch_version=torch.__version__.split("+")[0],
    )
    print(f"saved {path} ({path.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
