"""Chapter 10's small ResNet with all the training data, for 15 epochs.

    python bench/resnet_full_run.py [--epochs 15] [--seed 0]

Chapter 10 (10_resnet) compares a small ResNet (a 3x3 stem at 16 channels,
one basic block per stage at 16, 32 and 64 channels, global average pooling,
a linear layer: 77,754 parameters) with chapter 8's ``VGGStyleNet`` on a
3,000-image subset for 3 epochs. This script trains the same network,
``small_resnet`` from ``course_models`` (exported from the chapter), with the
same recipe (Adam, learning rate 0.002 falling linearly to a tenth over the
run, batches of 128) on all 55,000 images of the training split for
``--epochs`` epochs. It reports the validation accuracy (the 5,000 images
``utils`` holds out) after every epoch and scores the test set once, after
the last epoch.

It prints a log (with the machine and the seconds per epoch), also written
to ``--log`` (default ``bench/results/resnet_full_run.txt``), and writes the
accuracies to a small JSON file (``--json``, default
``bench/results/resnet_full_run.json``), which chapter 10 prints. Set
``CNN_COURSE_PROGRESS=0`` when the output goes to a file.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from common import machine  # noqa: E402

import utils  # noqa: E402
from course_models import small_resnet  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--json", type=Path, default=RESULTS / "resnet_full_run.json"
    )
    parser.add_argument(
        "--log", type=Path, default=RESULTS / "resnet_full_run.txt"
    )
    args = parser.parse_args()
    device = utils.get_device()
    lines: list[str] = []

    def report(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    data = utils.load_fashion_mnist()
    utils.seed_everything(args.seed)
    model = small_resnet().to(device)
    parameters = utils.count_parameters(model)
    recipe = (
        f"chapter 10's small ResNet ({parameters:,} parameters), all "
        f"{len(data.train_images):,} training images, {args.epochs} epochs, "
        "Adam 0.002 falling linearly to 0.0002, batches of 128, "
        f"seed {args.seed}"
    )
    report(f"machine: {machine()}")
    report(f"recipe: {recipe}")
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    scheduler = torch.optim.lr_scheduler.LinearLR(
        optimizer,
        start_factor=1.0,
        end_factor=0.1,
        total_iters=max(args.epochs - 1, 1),
    )
    train = utils.batches(
        data,
        "train",
        batch_size=128,
        shuffle=True,
        seed=args.seed,
        device=device,
    )
    val = utils.batches(data, "val", device=device)
    history = utils.fit(
        model,
        train,
        val,
        epochs=args.epochs,
        optimizer=optimizer,
        scheduler=scheduler,
        verbose=False,
    )
    for epoch, val_acc, seconds in zip(
        history["epoch"], history["val_acc"], history["seconds"], strict=True
    ):
        report(
            f"epoch {epoch:2d}  validation accuracy {val_acc:.2%}"
            f"  ({seconds:.0f} s)"
        )
    # the test set, once, for the final model
    test = utils.batches(data, "test", device=device)
    _, test_accuracy = utils.evaluate(model, test)
    report(
        f"test accuracy after {args.epochs} epochs: {test_accuracy:.2%} "
        f"({sum(history['seconds']):.0f} s of training)"
    )
    result = {
        "command": shlex.join(
            ["python", "bench/resnet_full_run.py", *sys.argv[1:]]
        ),
        "recipe": recipe,
        "parameters": parameters,
        "train_images": len(data.train_images),
        "epochs": args.epochs,
        "batch_size": 128,
        "seed": args.seed,
        "val_by_epoch": [round(acc, 4) for acc in history["val_acc"]],
        "test": round(test_accuracy, 4),
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=1) + "\n")
    args.log.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
