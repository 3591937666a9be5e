"""The GPU path of utils.fit: fp32 vs autocast vs channels_last, same epochs,
same seed.

    python bench/gpu_path.py [--epochs 2]

For LeNet-5 and the chapter-8 VGG-style network on Fashion-MNIST (the 55,000
training images on the GPU): images per second of training and validation
accuracy after the same epochs, for fp32 (amp=False: no autocast anywhere),
autocast (bfloat16 where the GPU has it in hardware, else float16 with a
GradScaler), and autocast + channels_last memory layout. Accuracy is always
measured in float32 (utils.evaluate), so the modes compare fairly. Target: the
VGG-style network trains one epoch in under 3 seconds on an H100-class GPU.
Exits with a message on a machine without CUDA.
"""

from __future__ import annotations

import argparse
import sys
import time

import torch
from common import MODELS, machine, table

import utils.train
from utils import (
    TensorBatches,
    evaluate,
    fit,
    load_fashion_mnist,
    seed_everything,
    to_float_images,
)


class ChannelsLast:
    """Wrap batches so each image batch is laid out channels-last (NHWC) in
    memory."""

    def __init__(self, batches: TensorBatches) -> None:
        self.batches, self.device = batches, batches.device

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self):
        for images, labels in self.batches:
            yield images.contiguous(memory_format=torch.channels_last), labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        sys.exit(
            "bench/gpu_path.py needs a CUDA GPU; none is visible on this "
            "machine."
        )
    device = torch.device("cuda")
    data = load_fashion_mnist()
    train = TensorBatches(
        to_float_images(data.train_images),
        data.train_labels,
        batch_size=args.batch_size,
        shuffle=True,
        device=device,
    )
    val = TensorBatches(
        to_float_images(data.val_images),
        data.val_labels,
        batch_size=2048,
        device=device,
    )
    dtype = utils.train.autocast_dtype(device)
    print(
        f"machine: {machine()}; {args.epochs} epochs, "
        f"batch {args.batch_size}; autocast dtype {dtype}\n"
    )
    rows = []
    for model_name in MODELS:
        for mode in ("fp32", "autocast", "autocast + channels_last"):
            seed_everything(0, deterministic=False)
            model = MODELS[model_name]().to(device)
            batches = train
            if "channels_last" in mode:
                model = model.to(memory_format=torch.channels_last)
                batches = ChannelsLast(train)
            optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
            fit(
                model,
                batches,
                epochs=1,
                optimizer=optimizer,
                amp=mode != "fp32",
                progress=False,
                verbose=False,
            )  # warm-up: cuDNN picks its kernels
            torch.cuda.synchronize()
            start = time.perf_counter()
            fit(
                model,
                batches,
                epochs=args.epochs,
                optimizer=optimizer,
                amp=mode != "fp32",
                progress=False,
                verbose=False,
            )
            torch.cuda.synchronize()
            seconds = (time.perf_counter() - start) / args.epochs
            _, accuracy = evaluate(model, val)
            rows.append(
                [
                    model_name,
                    mode,
                    seconds,
                    len(data.train_labels) / seconds,
                    f"{accuracy:.2%}",
                ]
            )
            print(rows[-1], flush=True)
    print()
    print(
        table(
            [
                "model",
                "mode",
                "s/epoch",
                "images/s",
                f"val acc after {args.epochs + 1} ep",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
