"""Train a course model on Fashion-MNIST, in one process or one per device.

    python scripts/train.py --model vgg --epochs 15         # one process
    torchrun --standalone --nproc_per_node=2 scripts/train.py --model vgg
    torchrun --nnodes=2 --nproc_per_node=4 --rdzv-backend=c10d \\
        --rdzv-endpoint=HOST:29500 --rdzv-id=fashion scripts/train.py

(the second: 2 GPUs, or 2 CPU processes; the third: on each of 2 machines).

Under torchrun every process (a *rank*) runs this file. Each rank owns one
device (GPU number LOCAL_RANK of its machine) and trains on its own share of
every epoch's seeded permutation; DistributedDataParallel averages the
gradients during backward, so all ranks keep the same weights. Rank 0 alone
prints, shows the progress bar and writes OUT/last.pt after every epoch
(atomically); ``--resume`` continues from it, which is how
``torchrun --max-restarts=K`` carries on after a worker dies. The appendix
chapters/14_multi_gpu explains each step.

From ``utils`` come the data, the models, the device and the seeds, and the
training seam of every chapter: ``train_one_epoch`` (forward and loss under
autocast on GPUs, backward, one optimizer step per batch) and ``evaluate``,
both returning sums that the ranks add up. What is written here is only what
DDP adds: the process group, the per-epoch permutation sharded over the
ranks (``EpochShards``, with ``set_epoch`` as PyTorch's DistributedSampler),
the all-reduce of those sums, one gradient scaler for the whole run, the
resume state, and a batch norm that synchronizes on the CPU (PyTorch's
``nn.SyncBatchNorm`` runs on GPUs only).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # any cwd

import utils  # the course's helpers: data, models, training, checkpoints
from utils import config
from utils.train import HISTORY_KEYS, autocast_dtype

MODELS = {  # name -> a function that builds the model
    "vgg": utils.VGGStyleNet,  # chapter 8's network: batch norm, 72,666
    "mlp": lambda: nn.Sequential(  # no batch norm: the plainest case
        nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10)
    ),
}


def fail(message: str) -> NoReturn:
    """Stop this process with a one-line error, printed once per machine
    (by local rank 0)."""
    if os.environ.get("LOCAL_RANK", "0") == "0":
        print(f"error: {message}", file=sys.stderr, flush=True)
    sys.exit(2)


def build_parser(models: dict[str, Callable]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--model", default="vgg", help=f"one of: {', '.join(models)}")
    add("--epochs", type=int, default=15)
    batch = parser.add_mutually_exclusive_group()
    batch.add_argument(
        "--batch-size", type=int, default=128, help="images per rank per step"
    )
    batch.add_argument(
        "--global-batch-size", type=int, help="images per step, all ranks"
    )
    add(
        "--optimizer",
        choices=("adam", "sgd"),
        default="adam",
        help="Adam, or SGD with momentum 0.9",
    )
    add(
        "--lr",
        type=float,
        help="default 0.002 (Adam), 0.05 (SGD); it "
        "falls linearly to a tenth over the epochs",
    )
    add("--seed", type=int, default=0)
    add("--subset", type=int, help="use the first N images of each split")
    add("--sync-bn", action="store_true", help="batch norm over all ranks")
    add("--no-amp", action="store_true", help="float32 on GPUs too")
    add("--out", type=Path, help="folder for last.pt (default runs/MODEL)")
    add(
        "--resume",
        nargs="?",
        const="auto",
        metavar="PATH",
        help="continue from PATH, or alone from OUT/last.pt if any",
    )
    return parser


class AllReduceSum(torch.autograd.Function):
    """The sum of a tensor over all ranks. Every rank's loss depends on that
    sum, so the gradient that reaches each rank's tensor is the sum of all
    ranks' gradients."""

    @staticmethod
    def forward(ctx, tensor: torch.Tensor) -> torch.Tensor:
        tensor = tensor.clone()
        dist.all_reduce(tensor)
        return tensor

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        grad = grad.clone()
        dist.all_reduce(grad)
        return grad


class CPUSyncBatchNorm(nn.BatchNorm2d):
    """Batch norm with the statistics of the global batch, for the CPU
    (PyTorch's ``nn.SyncBatchNorm`` runs on GPUs only): the per-channel sums
    of all ranks are added up."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if not (self.training and dist.is_initialized()):
            return super().forward(images)  # evaluation, or one process
        channels, shape = images.shape[1], (1, -1, 1, 1)
        # float64 sums: E[x^2] - E[x]^2 would cancel float32's digits
        wide = images.double()
        count = wide.new_tensor([images.numel() / channels])
        squares = (wide * wide).sum((0, 2, 3))
        local = torch.cat([wide.sum((0, 2, 3)), squares, count])
        total = AllReduceSum.apply(local)
        count = total[-1]
        mean = total[:channels] / count
        variance = total[channels:-1] / count - mean**2
        # running statistics with the unbiased variance, as BatchNorm2d
        with torch.no_grad():
            self.num_batches_tracked += 1
            running_mean, running_var = self.running_mean, self.running_var
            running_mean.lerp_(mean.to(running_mean.dtype), self.momentum)
            unbiased = variance * count / (count - 1)
            running_var.lerp_(unbiased.to(running_var.dtype), self.momentum)
        scale = (variance + self.eps).rsqrt().to(images.dtype) * self.weight
        mean = mean.to(images.dtype).view(shape)
        return (images - mean) * scale.view(shape) + self.bias.view(shape)


def convert_sync_bn(model: nn.Module, device: torch.device) -> nn.Module:
    """Replace every ``BatchNorm2d`` of ``model`` by a synchronized one (in
    place)."""
    if device.type == "cuda":
        return nn.SyncBatchNorm.convert_sync_batchnorm(model)
    for name, child in model.named_children():
        if isinstance(child, nn.BatchNorm2d):
            synced = CPUSyncBatchNorm(
                child.num_features, child.eps, child.momentum
            )
            # the device and dtype first, then the weights
            synced.to(child.weight.device, child.weight.dtype)
            synced.load_state_dict(child.state_dict())
            setattr(model, name, synced)
        else:
            convert_sync_bn(child, device)
    return model


def join_process_group(world_size: int) -> torch.device:
    """This rank's device; joins the other ranks (torchrun set RANK,
    WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT) over NCCL between
    GPUs, or over gloo on the CPU."""
    device = utils.get_device()
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    if device.type == "cuda":
        if local_rank >= torch.cuda.device_count():
            fail(
                f"LOCAL_RANK is {local_rank}, but there are "
                f"{torch.cuda.device_count()} GPUs: start at most one "
                "process per GPU (--nproc_per_node)"
            )
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    elif device.type != "cpu" and world_size > 1:
        fail(
            f"several processes need CUDA GPUs or the CPU, not {device.type}; "
            "set CNN_COURSE_DEVICE=cpu"
        )
    if world_size > 1:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return device


def shard_batches(
    images, labels, order, rank: int, world_size: int, batch_size: int
):
    """This rank's batches of one epoch. Global batch k is
    ``order[k*G : (k+1)*G]`` with G = batch_size x world_size; rank r takes
    every world_size-th image of it, from the r-th. An incomplete last
    global batch is left out, so every rank takes equal, full steps."""
    global_batch = batch_size * world_size
    for start in range(0, len(order) - global_batch + 1, global_batch):
        index = order[start + rank : start + global_batch : world_size]
        yield images[index], labels[index]


class EpochShards:
    """This rank's batches, for ``utils.train_one_epoch``. As with PyTorch's
    ``DistributedSampler``, call ``set_epoch(epoch)`` (counted from 0)
    before each epoch: its permutation is drawn from ``seed + epoch``, so
    every rank draws the same one, and a resumed run draws what it would
    have drawn."""

    def __init__(
        self,
        images,
        labels,
        *,
        rank: int,
        world_size: int,
        batch_size: int,
        seed: int,
    ) -> None:
        self.images, self.labels, self.seed = images, labels, seed
        self.rank, self.world_size = rank, world_size
        self.batch_size, self.epoch = batch_size, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.labels) // (self.batch_size * self.world_size)

    def __iter__(self):
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        order = torch.randperm(len(self.labels), generator=generator)
        yield from shard_batches(
            self.images,
            self.labels,
            order.to(self.images.device),
            self.rank,
            self.world_size,
            self.batch_size,
        )


def summed(values, device: torch.device) -> list[float]:
    """``values`` added up over all ranks, in float64 (exact for counts)."""
    total = torch.tensor(values, dtype=torch.float64, device=device)
    if dist.is_initialized():
        dist.all_reduce(total)
    return total.tolist()


def evaluate_all(model: nn.Module, shard) -> tuple[float, float]:
    """Loss and accuracy over a whole split of which this rank holds
    ``shard``: every rank returns the same two numbers."""
    device = next(model.parameters()).device
    loss_sum, correct, count = summed(
        utils.evaluate(model, shard, sums=True), device
    )
    return loss_sum / count, correct / count


def read_resume_state(
    args: argparse.Namespace, model: nn.Module
) -> dict | None:
    """Rank 0's part of ``--resume``: load the weights into ``model``,
    return the rest (``None`` if OUT/last.pt does not exist yet)."""
    path = args.out / "last.pt" if args.resume == "auto" else Path(args.resume)
    if args.resume == "auto" and not path.is_file():
        return None  # a first run, or a restart before epoch 1 ended
    wanted = (
        "--resume needs a last.pt that scripts/train.py "
        f"--model {args.model} wrote"
    )
    if not path.is_file():
        fail(
            f"--resume {path}: no such file; {wanted} (or --resume alone: "
            "OUT/last.pt if any)"
        )
    try:
        state = utils.load_checkpoint(path, model)
    except ValueError as error:
        fail(f"{str(error).splitlines()[0]}; {wanted}")
    if "optimizer" not in state or state.get("model_name") != args.model:
        fail(
            f"{path} holds no training state (optimizer, epoch) of --model "
            f"{args.model}; {wanted}"
        )
    return state


def main(argv: list[str] | None = None) -> None:
    run(build_parser(MODELS).parse_args(argv))


def run(
    args: argparse.Namespace,
    *,
    models: dict[str, Callable] = MODELS,
    dtype: torch.dtype = torch.float32,
    shards: Callable[..., EpochShards] = EpochShards,
) -> None:
    """Check the arguments, join the other ranks, train. ``models``,
    ``dtype`` and ``shards`` let another launcher (tests/train_for_tests.py)
    add models, train in float64 or make its own batches."""
    rank = int(os.environ.get("RANK", 0))
    world_size = int(os.environ.get("WORLD_SIZE", 1))
    if args.model not in models:
        fail(
            f"unknown model {args.model!r}; choose one of: {', '.join(models)}"
        )
    if args.global_batch_size is not None:
        if args.global_batch_size % world_size:
            fail(
                f"--global-batch-size {args.global_batch_size} does not "
                f"divide across {world_size} processes; use a multiple of "
                "it, or --batch-size"
            )
        args.batch_size = args.global_batch_size // world_size
    if args.batch_size < 1 or args.epochs < 1:
        fail(
            "--batch-size, --global-batch-size and --epochs must be at "
            "least 1 per rank"
        )
    args.out = args.out or Path("runs") / args.model
    device = join_process_group(world_size)
    try:
        train(
            args, rank, world_size, device, models[args.model], dtype, shards
        )
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def train(
    args: argparse.Namespace,
    rank: int,
    world_size: int,
    device: torch.device,
    build_model: Callable[[], nn.Module],
    dtype: torch.dtype,
    shards: Callable[..., EpochShards],
) -> None:
    """One rank's run: the model, the optimizer, the epochs, the checkpoints
    (rank 0) and the one look at the test set."""
    log = print if rank == 0 else lambda *_, **__: None
    utils.seed_everything(args.seed)  # the same initial weights on every rank
    model = build_model().to(device, dtype)
    state = (
        read_resume_state(args, model) if args.resume and rank == 0 else None
    )
    if world_size > 1:  # rank 0 alone reads it: no shared folder needed
        shared = [state]
        dist.broadcast_object_list(shared, src=0)
        state = shared[0]
    bare_model = convert_sync_bn(model, device) if args.sync_bn else model
    if world_size > 1:  # copies rank 0's weights; averages the gradients
        indices = None if device.index is None else [device.index]
        model = DistributedDataParallel(bare_model, device_ids=indices)
    if args.optimizer == "sgd":
        optimizer = torch.optim.SGD(
            model.parameters(), lr=args.lr or 0.05, momentum=0.9
        )
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=args.lr or 2e-3)
    scheduler = torch.optim.lr_scheduler.LinearLR(
        optimizer, 1.0, 0.1, total_iters=max(args.epochs - 1, 1)
    )
    # float16 needs its loss scaled; one scaler learns its scale for the run
    use_amp = not args.no_amp and dtype == torch.float32
    amp_dtype = autocast_dtype(device) if use_amp else None
    scaler = torch.amp.GradScaler(
        device.type, enabled=amp_dtype == torch.float16
    )
    history = {key: [] for key in HISTORY_KEYS}
    if state is not None:
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        if state.get("scaler"):
            scaler.load_state_dict(state["scaler"])
        torch.set_rng_state(state["rng"]["torch"])
        history = state["history"]
        log(f"resumed after epoch {state['epoch']} of {args.out / 'last.pt'}")

    data, subset = utils.load_fashion_mnist(), slice(args.subset)
    train_images = utils.to_float_images(data.train_images[subset])
    batches = shards(
        train_images.to(device, dtype),
        data.train_labels[subset].to(device),
        rank=rank,
        world_size=world_size,
        batch_size=args.batch_size,
        seed=args.seed,
    )
    global_batch, steps_per_epoch = args.batch_size * world_size, len(batches)
    if steps_per_epoch == 0:
        fail(
            f"{len(train_images)} training images do not fill one global "
            f"batch of {global_batch}; use a larger --subset or a smaller "
            "batch"
        )
    val, test = (
        utils.TensorBatches(
            utils.to_float_images(images[subset][rank::world_size]).to(dtype),
            labels[subset][rank::world_size],
            batch_size=1000,
            device=device,
        )
        for images, labels in (
            (data.val_images, data.val_labels),
            (data.test_images, data.test_labels),
        )
    )
    backend = dist.get_backend() if world_size > 1 else "no process group"
    threads = torch.get_num_threads()
    log(
        f"{world_size} process{'es' * (world_size > 1)} x {args.batch_size} "
        f"images = global batch {global_batch}; {steps_per_epoch} steps per "
        f"epoch; {args.model} on {device.type} ({backend}), {threads} "
        f"thread{'s' * (threads > 1)} per process"
    )
    shared_store = os.environ.get("TORCHELASTIC_USE_AGENT_STORE") == "True"
    if (
        shared_store
        and os.environ.get("TORCHELASTIC_MAX_RESTARTS", "0") != "0"
    ):
        log(
            "warning: restarted workers may read the old addresses from "
            "torchrun's shared store (PyTorch issue 135712); launch with "
            "TORCH_DISABLE_SHARE_RDZV_TCP_STORE=1"
        )

    # a bar for a person at a terminal, not for a log file or a pipe
    progress = rank == 0 and config.show_progress() and sys.stdout.isatty()
    for epoch in range(len(history["epoch"]) + 1, args.epochs + 1):
        batches.set_epoch(epoch - 1)  # counted from 0, as DistributedSampler's
        start = time.perf_counter()
        # DDP averages the gradients during each backward
        local = utils.train_one_epoch(
            model,
            batches,
            optimizer,
            scaler=scaler,
            amp_dtype=amp_dtype,
            progress=progress,
            sums=True,
        )
        scheduler.step()
        seconds = time.perf_counter() - start
        loss_sum, correct, count = summed(local, device)  # all ranks' images
        val_loss, val_acc = evaluate_all(bare_model, val)
        row = (epoch, loss_sum / count, correct / count, val_loss, val_acc)
        for key, value in zip(HISTORY_KEYS, (*row, seconds), strict=True):
            history[key].append(value)
        log(
            f"epoch {epoch}/{args.epochs}  train loss {row[1]:.4f} acc "
            f"{row[2]:.2%}  |  val loss {val_loss:.4f} acc {val_acc:.2%}  |  "
            f"{count / seconds:,.0f} images/s"
        )
        if rank == 0:  # save_checkpoint writes a temporary file, then renames
            utils.save_checkpoint(
                args.out / "last.pt",
                bare_model,
                model_name=args.model,
                epoch=epoch,
                optimizer=optimizer.state_dict(),
                scheduler=scheduler.state_dict(),
                scaler=scaler.state_dict(),
                rng={"torch": torch.get_rng_state()},
                history=history,
                world_size=world_size,
                global_batch=global_batch,
            )
    _, test_accuracy = evaluate_all(bare_model, test)  # the final model, once
    test_images = len(data.test_labels[subset])
    log(f"test accuracy {test_accuracy:.2%} on {test_images:,} images")


if __name__ == "__main__":
    main()
