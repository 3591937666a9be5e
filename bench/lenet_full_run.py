"""Chapter 6's experiments on all the training data: what a GPU reader gets.

    python bench/lenet_full_run.py                     # 10 epochs, seeds 0 1 2
    python bench/lenet_full_run.py --models deep --epochs 3 --seeds 0

The second line is the stored run: the deep CNN alone, for the chapter's 3
epochs and one seed. The script prints a log (stored as
``bench/results/lenet_full_run.txt``) and writes the accuracies to a small
JSON file (``--json``, default ``bench/results/lenet_full_run.json``), which
chapter 6 prints. Set ``CNN_COURSE_PROGRESS=0`` when the output goes to a file.

Chapter 6 trains the classic and the modern LeNet-5 and the deep CNN on a
class-balanced subset of the training split for 3 epochs. This script is the
same recipe (standardized inputs, Adam, batches of 128, a per-epoch cosine
schedule, the learning rates the chapter chose on the validation set) with all
55,000 training images and as many epochs as asked. The models are imported
from ``course_models`` (exported from the chapter). Each final model is scored
on the validation set after every epoch and on the test set once, at the end.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from common import machine, write_json  # noqa: E402

from course_models import LeNet5, deep_cnn  # noqa: E402
from utils import (  # noqa: E402
    TensorBatches,
    evaluate,
    fit,
    get_device,
    load_fashion_mnist,
    seed_everything,
    to_float_images,
)

# the rates chapter 6 chose on the validation set (deep: the book's, untuned)
LEARNING_RATES = {"classic": 1e-2, "modern": 1e-2, "deep": 1e-3}
MODELS = {
    "classic": LeNet5,
    "modern": lambda: LeNet5(modern=True),
    "deep": deep_cnn,
}
BATCH_SIZE = 128


def spread(values: list[float]) -> str:
    tensor = torch.tensor(values)
    low, high = tensor.min(), tensor.max()
    return f"{tensor.mean():.2%} (min {low:.2%}, max {high:.2%})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--models", nargs="+", choices=sorted(MODELS), default=list(MODELS)
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=ROOT / "bench" / "results" / "lenet_full_run.json",
        help="where to write the accuracies (default: %(default)s)",
    )
    parser.add_argument(
        "--note", default="", help="a line about the machine, printed as is"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    device = get_device()
    command = f"python bench/lenet_full_run.py {shlex.join(sys.argv[1:])}"
    print(f"command: {command.rstrip()}")
    print(f"machine: {machine()}")
    if args.note:
        print(f"note: {args.note}")
    data = load_fashion_mnist()
    raw_train = to_float_images(data.train_images)
    mean, std = raw_train.mean().item(), raw_train.std().item()

    def standardized(split: str) -> TensorBatches:
        images = getattr(data, f"{split}_images")
        return TensorBatches(
            (to_float_images(images) - mean) / std,
            getattr(data, f"{split}_labels"),
            batch_size=1000,
            device=device,
        )

    train_images = (raw_train - mean) / std
    val, test = standardized("val"), standardized("test")
    rates = {name: LEARNING_RATES[name] for name in args.models}
    print(
        f"{len(train_images):,} training images, {args.epochs} epochs, "
        f"seeds {args.seeds}, learning rates {rates}"
    )
    runs: dict[str, list[dict]] = {}
    for name in args.models:
        for seed in args.seeds:
            seed_everything(seed)
            model = MODELS[name]().to(device)
            optimizer = torch.optim.Adam(model.parameters(), lr=rates[name])
            schedule = torch.optim.lr_scheduler.CosineAnnealingLR(
                optimizer, T_max=args.epochs
            )
            batches = TensorBatches(
                train_images,
                data.train_labels,
                batch_size=BATCH_SIZE,
                shuffle=True,
                seed=seed,
                device=device,
            )
            start = time.perf_counter()
            history = fit(
                model,
                batches,
                val,
                epochs=args.epochs,
                optimizer=optimizer,
                scheduler=schedule,
                verbose=False,
            )
            seconds = time.perf_counter() - start
            test_accuracy = evaluate(model, test)[1]  # its one test score
            runs.setdefault(name, []).append(
                {
                    "seed": seed,
                    "val_by_epoch": history["val_acc"],
                    "test": test_accuracy,
                }
            )
            curve = " ".join(f"{a:.2%}" for a in history["val_acc"])
            print(
                f"{name:<8} seed {seed}: validation by epoch {curve}; "
                f"test {test_accuracy:.2%}; {seconds:.0f} s",
                flush=True,
            )
    for name, model_runs in runs.items():
        val_last = [run["val_by_epoch"][-1] for run in model_runs]
        tests = [run["test"] for run in model_runs]
        print(f"{name:<8} validation {spread(val_last)}  test {spread(tests)}")
    result = {
        "command": command.rstrip(),
        "train_images": len(train_images),
        "epochs": args.epochs,
        "batch_size": BATCH_SIZE,
        "seeds": args.seeds,
        "learning_rates": rates,
        "runs": runs,
    }
    write_json(args.json, result)
    print(f"total: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
