"""Chapter 6's experiments on all the training data for more epochs: what a GPU reader gets.

    python bench/lenet_full_run.py                                   # 10 epochs, seeds 0 1 2
    python bench/lenet_full_run.py --models deep --epochs 3 --seeds 0  # the stored run

The stored run (``bench/results/lenet_full_run.txt``) is the deep CNN alone, for the chapter's
3 epochs and one seed: all the time a shared 2-core CPU had for it. On a GPU run the default.

Set ``CNN_COURSE_PROGRESS=0`` when the output goes to a file (no progress bars in it).

Chapter 6 trains the classic and the modern LeNet-5 and the deep CNN on a class-balanced
subset of the training split for 3 epochs, to fit the 2-core CPU budget. This script is the
same recipe (standardized inputs, Adam, batches of 128, a per-epoch cosine schedule, the
learning rates the chapter chose on the validation set) with all 55,000 training images
(``--per-class`` draws a subset as the chapter does) and more epochs. Each final model is
scored on the validation set after every epoch and on the test set once, at the end.
The models are copies of the chapter's code: keep the two in step.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections import OrderedDict
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F
from torch.optim.lr_scheduler import CosineAnnealingLR

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import machine  # noqa: E402

from utils import (  # noqa: E402
    TensorBatches,
    evaluate,
    fit,
    get_device,
    load_fashion_mnist,
    seed_everything,
    to_float_images,
)

LEARNING_RATES = {"classic": 1e-2, "modern": 1e-2, "deep": 1e-3}  # as chosen in chapter 6


class ScaledTanh(nn.Module):
    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return 1.7159 * torch.tanh(inputs * (2 / 3))


class Subsampling(nn.Module):
    kernel_size = stride = 2

    def __init__(self, maps: int) -> None:
        super().__init__()
        self.coefficient = nn.Parameter(torch.full((maps,), 0.25))
        self.bias = nn.Parameter(torch.zeros(maps))

    def forward(self, maps: torch.Tensor) -> torch.Tensor:
        window_sums = 4 * F.avg_pool2d(maps, kernel_size=2, stride=2)
        return window_sums * self.coefficient.view(-1, 1, 1) + self.bias.view(-1, 1, 1)


class LeNet5(nn.Module):
    def __init__(self, num_classes: int = 10, *, modern: bool = False) -> None:
        super().__init__()

        def squash() -> nn.Module:
            return nn.ReLU() if modern else ScaledTanh()

        def subsample(maps: int) -> nn.Module:
            return nn.MaxPool2d(2) if modern else Subsampling(maps)

        self.features = nn.Sequential(OrderedDict(
            pad=nn.ZeroPad2d(2),
            C1=nn.Conv2d(1, 6, kernel_size=5), C1_f=squash(),
            S2=subsample(6), S2_f=squash(),
            C3=nn.Conv2d(6, 16, kernel_size=5), C3_f=squash(),
            S4=subsample(16), S4_f=squash(),
            C5=nn.Conv2d(16, 120, kernel_size=5), C5_f=squash(),
        ))  # fmt: skip
        self.classifier = nn.Sequential(OrderedDict(
            flatten=nn.Flatten(), F6=nn.Linear(120, 84), F6_f=squash(),
            output=nn.Linear(84, num_classes),
        ))  # fmt: skip

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(images))


def deep_cnn() -> nn.Sequential:
    return nn.Sequential(OrderedDict(
        conv1=nn.Conv2d(1, 32, kernel_size=5, padding=2), relu1=nn.ReLU(), pool1=nn.MaxPool2d(2),
        conv2=nn.Conv2d(32, 64, kernel_size=5, padding=2), relu2=nn.ReLU(), pool2=nn.MaxPool2d(2),
        flatten=nn.Flatten(),
        fc1=nn.Linear(64 * 7 * 7, 1024), relu3=nn.ReLU(), dropout=nn.Dropout(0.5),
        fc2=nn.Linear(1024, 10),
    ))  # fmt: skip


MODELS = {"classic": lambda: LeNet5(), "modern": lambda: LeNet5(modern=True), "deep": deep_cnn}


def per_class_subset(labels: torch.Tensor, per_class: int | None, seed: int = 0) -> torch.Tensor:
    if per_class is None:
        return torch.arange(len(labels))
    generator = torch.Generator().manual_seed(seed)
    members = [(labels == label).nonzero().flatten() for label in range(int(labels.max()) + 1)]
    chosen = [m[torch.randperm(len(m), generator=generator)[:per_class]] for m in members]
    return torch.cat(chosen).sort().values


def spread(values: list[float]) -> str:
    tensor = torch.tensor(values)
    return f"{tensor.mean():.2%} (min {tensor.min():.2%}, max {tensor.max():.2%})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--per-class", type=int, default=None, help="default: all images")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--models", nargs="+", choices=sorted(MODELS), default=list(MODELS))
    parser.add_argument("--note", default="", help="a line about the machine, printed as is")
    args = parser.parse_args()
    started = time.perf_counter()
    device = get_device()
    print(f"command: python bench/lenet_full_run.py {shlex.join(sys.argv[1:])}".rstrip())
    print(f"machine: {machine()}")
    if args.note:
        print(f"note: {args.note}")
    data = load_fashion_mnist()
    subset = per_class_subset(data.train_labels, args.per_class)
    raw_train = to_float_images(data.train_images[subset])
    mean, std = raw_train.mean().item(), raw_train.std().item()
    train_images, train_labels = (raw_train - mean) / std, data.train_labels[subset]
    val = TensorBatches((to_float_images(data.val_images) - mean) / std, data.val_labels,
                        batch_size=1000, device=device)  # fmt: skip
    test = TensorBatches((to_float_images(data.test_images) - mean) / std, data.test_labels,
                         batch_size=1000, device=device)  # fmt: skip
    print(
        f"{len(train_images):,} training images, {args.epochs} epochs, seeds {args.seeds}, "
        f"learning rates { {name: LEARNING_RATES[name] for name in args.models} }"
    )
    results: dict[str, dict[str, list[float]]] = {}
    for name in args.models:
        for seed in args.seeds:
            seed_everything(seed)
            model = MODELS[name]().to(device)
            optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATES[name])
            batches = TensorBatches(train_images, train_labels, batch_size=128, shuffle=True,
                                    seed=seed, device=device)  # fmt: skip
            start = time.perf_counter()
            history = fit(model, batches, val, epochs=args.epochs, optimizer=optimizer,
                          scheduler=CosineAnnealingLR(optimizer, T_max=args.epochs),
                          verbose=False)  # fmt: skip
            seconds = time.perf_counter() - start
            test_accuracy = evaluate(model, test)[1]  # the one test score of this final model
            row = results.setdefault(name, {"val": [], "test": []})
            row["val"].append(history["val_acc"][-1])
            row["test"].append(test_accuracy)
            curve = " ".join(f"{accuracy:.2%}" for accuracy in history["val_acc"])
            print(
                f"{name:<8} seed {seed}: validation by epoch {curve}; test {test_accuracy:.2%}; "
                f"{seconds:.0f} s",
                flush=True,
            )
    for name, row in results.items():
        print(f"{name:<8} validation {spread(row['val'])}  test {spread(row['test'])}")
    print(f"total: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
