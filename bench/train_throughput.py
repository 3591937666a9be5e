"""Training-loop throughput: utils' in-memory batches vs the textbook
DataLoader loop.

    python bench/train_throughput.py [--repeats 2] [--limit 60000]
    [--batch-size 128]
                                     [--models LeNet-5]

For LeNet-5 and the chapter-6 VGG-style network, one epoch of Fashion-MNIST is
trained with (a) utils.TensorBatches (tensors already in memory, on the device)
and (b) torchvision.datasets.FashionMNIST(transform=ToTensor()) + DataLoader (a
PIL image decoded and converted per example), same model, same batch size,
alternating A B A B so that drift in the machine's speed hits both alike.
Prints images per second and the ratio A/B, then the cost of the data path
alone (one pass over the batches, no model) and where a LeNet-5 epoch of (a)
spends its time (torch.profiler, self CPU time by operator).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from common import MODELS, machine, prepare_fashion_mnist, table
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms

from utils import (
    TensorBatches,
    fit,
    get_device,
    load_fashion_mnist,
    seed_everything,
    to_float_images,
)


def epoch_seconds(model_name: str, batches, device: torch.device) -> float:
    seed_everything(0)
    model = MODELS[model_name]().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    start = time.perf_counter()
    fit(
        model,
        batches,
        epochs=1,
        optimizer=optimizer,
        progress=False,
        verbose=False,
    )
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def data_seconds(batches, device: torch.device) -> float:
    """One pass over ``batches`` with no model: what the data path alone costs
    per epoch."""
    start = time.perf_counter()
    for images, _labels in batches:
        images.to(device).sum()  # touch every batch, as a model would
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def profile_epoch(batches, device: torch.device, steps: int = 100) -> str:
    """Self time by operator for ``steps`` LeNet-5 training steps on
    ``batches``."""
    from itertools import islice

    from torch.profiler import ProfilerActivity, profile

    seed_everything(0)
    model = MODELS["LeNet-5"]().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    subset = list(islice(iter(batches), steps))
    fit(
        model,
        subset,
        epochs=1,
        optimizer=optimizer,
        progress=False,
        verbose=False,
    )  # warm-up
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        fit(
            model,
            subset,
            epochs=1,
            optimizer=optimizer,
            progress=False,
            verbose=False,
        )
    events = sorted(
        prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True
    )
    total = sum(e.self_cpu_time_total for e in events)
    rows = [[e.key, 100 * e.self_cpu_time_total / total] for e in events[:8]]
    return table(
        [f"operator (LeNet-5, (a), {steps} steps)", "% of self CPU time"], rows
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeats", type=int, default=2, help="A/B pairs per model"
    )
    parser.add_argument(
        "--limit", type=int, default=60_000, help="training images per epoch"
    )
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument(
        "--workers", type=int, default=0, help="DataLoader workers for (b)"
    )
    parser.add_argument(
        "--models", nargs="+", choices=list(MODELS), default=list(MODELS)
    )
    args = parser.parse_args()
    device = get_device()
    data = load_fashion_mnist()
    count = min(args.limit, len(data.train_images))
    in_memory = TensorBatches(
        to_float_images(data.train_images[:count]),
        data.train_labels[:count],
        batch_size=args.batch_size,
        shuffle=True,
        device=device,
    )
    textbook = datasets.FashionMNIST(
        prepare_fashion_mnist(),
        train=True,
        download=False,
        transform=transforms.ToTensor(),
    )
    loader = DataLoader(
        Subset(textbook, range(count)),
        batch_size=args.batch_size,
        shuffle=True,
        num_workers=args.workers,
        pin_memory=device.type == "cuda",
    )
    print(
        f"machine: {machine()}; {count:,} images per epoch, "
        f"batch {args.batch_size}\n"
    )
    rows = []
    for model_name in args.models:
        times = {"a": [], "b": []}
        for _ in range(args.repeats):
            times["a"].append(epoch_seconds(model_name, in_memory, device))
            times["b"].append(epoch_seconds(model_name, loader, device))
        a, b = statistics.median(times["a"]), statistics.median(times["b"])
        rows.append([model_name, a, count / a, b, count / b, f"{b / a:.2f}x"])
        print(f"{model_name}: a {times['a']}  b {times['b']}", flush=True)
    print()
    print(
        table(
            [
                "model",
                "(a) s/epoch",
                "(a) images/s",
                "(b) s/epoch",
                "(b) images/s",
                "speed-up a/b",
            ],
            rows,
        )
    )
    print()
    a_data = statistics.median(
        data_seconds(in_memory, device) for _ in range(3)
    )
    b_data = statistics.median(data_seconds(loader, device) for _ in range(3))
    print(
        table(
            ["data path alone", "(a) s/epoch", "(b) s/epoch", "ratio b/a"],
            [
                [
                    "one pass, no model",
                    a_data,
                    b_data,
                    f"{b_data / a_data:.0f}x",
                ]
            ],
        )
    )
    print()
    print(profile_epoch(in_memory, device))


if __name__ == "__main__":
    main()
