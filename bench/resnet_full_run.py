"""Chapter 10's small ResNet run for longer: the Fashion-MNIST result a reader with a GPU can reach.

    python bench/resnet_full_run.py [--epochs 15] [--seed 0] [--out FILE]

Set ``CNN_COURSE_PROGRESS=0`` when the output goes to a file (no progress bars in it).

Chapter 10 (10_resnet) compares a small ResNet (a 3x3 stem at 16 channels, one basic block per
stage at 16, 32 and 64 channels, global average pooling, a linear layer: 77,754 parameters)
with chapter 8's ``VGGStyleNet`` on a 3,000-image subset for 3 epochs, which fits the 2-core
CPU budget. This script trains the same small ResNet with the same recipe (Adam, learning
rate 0.002 falling linearly to a tenth over the run, batches of 128) on all 55,000 images of
the training split for ``--epochs`` epochs. It reports the validation accuracy (the 5,000
images ``utils`` holds out) after every epoch and scores the test set once, after the last
epoch. The lines it prints are also written to ``--out``. The model is a copy of the
chapter's code: keep the two in step.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import machine  # noqa: E402

from utils import (  # noqa: E402
    TensorBatches,
    count_parameters,
    evaluate,
    fit,
    get_device,
    load_fashion_mnist,
    seed_everything,
    to_float_images,
)

RESULTS = Path(__file__).resolve().parent / "results" / "resnet_full_run.txt"


def shortcut(in_channels: int, out_channels: int, stride: int) -> nn.Module:
    """The identity where the shapes agree, else a 1x1 convolution (with stride) and BN."""
    if stride == 1 and in_channels == out_channels:
        return nn.Identity()
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
        nn.BatchNorm2d(out_channels),
    )


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with batch norm, the input added back (chapter 10)."""

    def __init__(self, in_channels: int, channels: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.shortcut = shortcut(in_channels, channels, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + self.shortcut(x))


def small_resnet(widths: tuple[int, ...] = (16, 32, 64), num_classes: int = 10) -> nn.Sequential:
    """Chapter 10's ResNet for 28x28 images: 3x3 stem, one basic block per stage."""
    layers: list[nn.Module] = [
        nn.Conv2d(1, widths[0], 3, padding=1, bias=False),
        nn.BatchNorm2d(widths[0]),
        nn.ReLU(inplace=True),
    ]
    channels = widths[0]
    for index, width in enumerate(widths):
        layers.append(BasicBlock(channels, width, stride=2 if index else 1))
        channels = width
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, num_classes)]
    return nn.Sequential(*layers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    device = get_device()
    lines: list[str] = []

    def report(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    data = load_fashion_mnist()
    seed_everything(args.seed)
    model = small_resnet().to(device)
    report(f"machine: {machine()}")
    report(
        f"recipe: chapter 10's small ResNet ({count_parameters(model):,} parameters), all "
        f"{len(data.train_images):,} training images, {args.epochs} epochs, Adam 0.002 falling "
        f"linearly to 0.0002, batches of 128, seed {args.seed}"
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    scheduler = torch.optim.lr_scheduler.LinearLR(
        optimizer, start_factor=1.0, end_factor=0.1, total_iters=max(args.epochs - 1, 1)
    )
    train = TensorBatches(
        to_float_images(data.train_images), data.train_labels, batch_size=128, shuffle=True,
        seed=args.seed, device=device,
    )  # fmt: skip
    val = TensorBatches(
        to_float_images(data.val_images), data.val_labels, batch_size=1000, device=device
    )
    history = fit(
        model, train, val, epochs=args.epochs, optimizer=optimizer, scheduler=scheduler,
        verbose=False,
    )  # fmt: skip
    for epoch, val_acc, seconds in zip(
        history["epoch"], history["val_acc"], history["seconds"], strict=True
    ):
        report(f"epoch {epoch:2d}  validation accuracy {val_acc:.2%}  ({seconds:.0f} s)")
    test = TensorBatches(
        to_float_images(data.test_images), data.test_labels, batch_size=1000, device=device
    )
    _, test_accuracy = evaluate(model, test)  # the test set, once, for the final model
    report(
        f"test accuracy after {args.epochs} epochs: {test_accuracy:.2%} "
        f"({sum(history['seconds']):.0f} s of training)"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
