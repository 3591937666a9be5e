"""Scaling of scripts/train.py: one process against two (torchrun, DDP), the
same global batch.

    python bench/scaling.py [--models vgg mlp] [--epochs 2] [--subset N]
    [--global-batch 128]

For each model, trains with the same global batch and seed
  (a) one process with all the machine's threads (the plain `python
  scripts/train.py`), (b) one process with one thread (the control: what one
  rank of (c) has), (c) `torchrun --standalone --nproc_per_node=2`, one thread
  per process (gloo on the CPU,
      NCCL with one GPU per process where there are two GPUs),
and prints a Markdown table of training images per second and seconds per epoch
(the last epoch of the run, training pass only, as train.py records it in
OUT/last.pt), with the machine and its load average, so that a busy machine is
visible in the numbers.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
TRAIN = str(ROOT / "scripts" / "train.py")


def machine() -> str:
    if torch.cuda.is_available():
        where = f"{torch.cuda.device_count()} x {torch.cuda.get_device_name()}"
    else:
        where = (
            f"CPU {platform.processor() or platform.machine()}, "
            f"{os.cpu_count()} cores"
        )
    return f"{where}, torch {torch.__version__}"


def run(
    model: str, processes: int, threads: int, args: argparse.Namespace
) -> dict:
    """One training run; returns the history that train.py saved in
    OUT/last.pt."""
    out = Path(tempfile.mkdtemp(prefix=f"scaling-{model}-"))
    options = [
        "--model",
        model,
        "--epochs",
        str(args.epochs),
        "--out",
        str(out),
        "--global-batch-size",
        str(args.global_batch),
    ]
    options += ["--subset", str(args.subset)] if args.subset else []
    if processes == 1:
        command = [sys.executable, TRAIN, *options]
    else:
        command = [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            f"--nproc_per_node={processes}",
            TRAIN,
            *options,
        ]
    env = {
        **os.environ,
        "OMP_NUM_THREADS": str(threads),
        "CNN_COURSE_PROGRESS": "0",
    }
    subprocess.run(
        command, env=env, check=True, timeout=3600, stdout=subprocess.DEVNULL
    )
    saved = torch.load(out / "last.pt", map_location="cpu", weights_only=True)
    return saved["metadata"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["vgg", "mlp"])
    parser.add_argument(
        "--epochs", type=int, default=2, help="the last one is reported"
    )
    parser.add_argument(
        "--subset", type=int, help="training images (default: all 55,000)"
    )
    parser.add_argument("--global-batch", type=int, default=128)
    args = parser.parse_args()
    cores, train_count = (
        os.cpu_count() or 1,
        min(args.subset or 55_000, 55_000),
    )
    configs = [
        (f"1 process, {cores} threads", 1, cores),
        ("1 process, 1 thread", 1, 1),
        ("2 processes (torchrun), 1 thread each", 2, 1),
    ]
    print(
        f"machine: {machine()}; load average before: {os.getloadavg()[0]:.1f}"
    )
    print(f"command: python bench/scaling.py {' '.join(sys.argv[1:])}")
    print(
        f"{train_count:,} training images, global batch {args.global_batch}, "
        f"{args.epochs} epochs, last epoch reported\n"
    )
    print("| model | run | images/s | s per epoch | final val accuracy |")
    print("|---|---|---|---|---|")
    for model in args.models:
        for name, processes, threads in configs:
            metadata = run(model, processes, threads, args)
            seconds = metadata["history"]["seconds"][-1]
            images = (
                train_count // args.global_batch * args.global_batch
            )  # full steps only
            print(
                f"| {model} | {name} | {images / seconds:,.0f} | "
                f"{seconds:.1f} | "
                f"{metadata['history']['val_acc'][-1]:.2%} |",
                flush=True,
            )
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
