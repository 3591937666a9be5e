"""Train a course model on Fashion-MNIST in one process, or in one process per device with DDP.

    python scripts/train.py --model vgg --epochs 15                          # one process
    torchrun --standalone --nproc_per_node=2 scripts/train.py --model vgg    # 2 GPUs (or CPUs)
    torchrun --nnodes=2 --nproc_per_node=4 --rdzv-backend=c10d --rdzv-endpoint=HOST:29500 \\
        --rdzv-id=fashion scripts/train.py --model vgg                       # on each of 2 machines

Under torchrun every process (a *rank*) runs this file. Each rank owns one device (GPU number
LOCAL_RANK of its machine), trains on its own share of every epoch's seeded permutation, and
DistributedDataParallel averages the gradients during backward, so all ranks keep the same
weights. Rank 0 alone prints, shows the progress bar and writes OUT/last.pt after every epoch
(atomically); ``--resume`` continues from it, which is how ``torchrun --max-restarts=K`` carries
on after a worker dies. The appendix chapters/12_multi_gpu explains each step.

What comes from ``utils``: the data (``load_fashion_mnist``, ``to_float_images``,
``TensorBatches`` for evaluation), the models, the device and the seeds, ``fit`` (called for one
epoch at a time: its loop, autocast and scheduler step are the training step of every rank),
``evaluate`` and the atomic ``save_checkpoint``/``load_checkpoint``. What is written here is
only what DDP adds: the process group, the per-epoch permutation sharded over the ranks
(``EpochShards``: ``TensorBatches`` would give every rank all the images), the all-reduce of
the metrics, the resume state and a batch norm that synchronizes on the CPU (PyTorch's
``nn.SyncBatchNorm`` runs on GPUs only). ``fit`` starts a new ``GradScaler`` per call, so on
GPUs without bf16 the fp16 loss scale is found again each epoch (a few skipped steps).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from typing import NoReturn

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

import utils  # the course's helpers: data, batches, models, evaluation, checkpoints

HISTORY_KEYS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "seconds")
MODELS = {  # name -> a function that builds the model
    "vgg": utils.VGGStyleNet,  # chapter 8's network: 72,666 parameters, batch norm
    "vgg-small": lambda: utils.VGGStyleNet(widths=(8, 16)),  # the same design, for tests
    "mlp": lambda: nn.Sequential(  # no batch norm: the plainest case for DDP
        nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10)
    ),
}


def fail(message: str) -> NoReturn:
    """Stop this process with a one-line error, printed once per machine (by local rank 0)."""
    if os.environ.get("LOCAL_RANK", "0") == "0":
        print(f"error: {message}", file=sys.stderr, flush=True)
    sys.exit(2)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="vgg", help=f"one of: {', '.join(MODELS)}")
    parser.add_argument("--epochs", type=int, default=15)
    batch = parser.add_mutually_exclusive_group()
    batch.add_argument("--batch-size", type=int, default=128, help="images per rank per step")
    batch.add_argument("--global-batch-size", type=int, help="images per step, all ranks together")
    parser.add_argument("--optimizer", choices=("adam", "sgd"), default="adam",
                        help="Adam, or SGD with momentum 0.9 (its updates are proportional to "
                        "the gradient: the tests compare runs with it)")  # fmt: skip
    parser.add_argument("--lr", type=float, help="default 0.002 (Adam), 0.05 (SGD); it falls "
                        "linearly to a tenth over the epochs")  # fmt: skip
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--subset", type=int, help="use the first N images of each split")
    parser.add_argument("--sync-bn", action="store_true", help="batch norm over the global batch")
    parser.add_argument("--no-amp", action="store_true", help="train in float32 on GPUs too")
    parser.add_argument("--float64", action="store_true", help="train and evaluate in float64: "
                        "slow, but rounding differences stay near 1e-16, so the tests can "
                        "compare one process with several tightly")  # fmt: skip
    parser.add_argument("--out", type=Path, help="folder for last.pt (default runs/MODEL)")
    parser.add_argument("--resume", nargs="?", const="auto", metavar="PATH",
                        help="continue from PATH, or alone from OUT/last.pt if any")  # fmt: skip
    parser.add_argument("--crash-at-step", type=int, metavar="K",
                        help="for tests: the last rank dies at step K, first try")  # fmt: skip
    return parser.parse_args(argv)


class AllReduceSum(torch.autograd.Function):
    """The sum of a tensor over all ranks. Every rank's loss depends on that sum, so the
    gradient that reaches each rank's tensor is the sum of all ranks' gradients."""

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
    """Batch norm with the statistics of the global batch, for the CPU (PyTorch's
    ``nn.SyncBatchNorm`` runs on GPUs only): the per-channel sums of all ranks are added up."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if not (self.training and dist.is_initialized()):
            return super().forward(images)  # evaluation, or one process: plain batch norm
        channels, shape = images.shape[1], (1, -1, 1, 1)
        wide = images.double()  # float64 sums: E[x^2] - E[x]^2 would cancel float32's digits
        local = torch.cat([wide.sum((0, 2, 3)), (wide * wide).sum((0, 2, 3)),
                           wide.new_tensor([images.numel() / channels])])  # fmt: skip
        total = AllReduceSum.apply(local)
        count = total[-1]
        mean = total[:channels] / count
        variance = total[channels:-1] / count - mean**2
        with torch.no_grad():  # running statistics with the unbiased variance, as BatchNorm2d
            self.num_batches_tracked += 1
            self.running_mean.lerp_(mean.to(self.running_mean.dtype), self.momentum)
            unbiased = variance * count / (count - 1)
            self.running_var.lerp_(unbiased.to(self.running_var.dtype), self.momentum)
        scale = (variance + self.eps).rsqrt().to(images.dtype) * self.weight
        mean = mean.to(images.dtype).view(shape)
        return (images - mean) * scale.view(shape) + self.bias.view(shape)


def convert_sync_bn(model: nn.Module, device: torch.device) -> nn.Module:
    """Replace every ``BatchNorm2d`` of ``model`` by a synchronized one (in place)."""
    if device.type == "cuda":
        return nn.SyncBatchNorm.convert_sync_batchnorm(model)
    for name, child in model.named_children():
        if isinstance(child, nn.BatchNorm2d):
            synced = CPUSyncBatchNorm(child.num_features, child.eps, child.momentum)
            synced.to(child.weight.device, child.weight.dtype)  # before the weights are loaded
            synced.load_state_dict(child.state_dict())
            setattr(model, name, synced)
        else:
            convert_sync_bn(child, device)
    return model


def join_process_group(world_size: int) -> torch.device:
    """This rank's device; joins the other ranks (torchrun set RANK, WORLD_SIZE, LOCAL_RANK,
    MASTER_ADDR and MASTER_PORT) over NCCL between GPUs, or over gloo on the CPU."""
    device, local_rank = utils.get_device(), int(os.environ.get("LOCAL_RANK", 0))
    if device.type == "cuda":
        if local_rank >= torch.cuda.device_count():
            fail(f"LOCAL_RANK is {local_rank}, but there are {torch.cuda.device_count()} GPUs: "
                 "start at most one process per GPU (--nproc_per_node)")  # fmt: skip
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    elif device.type != "cpu" and world_size > 1:
        fail(f"several processes need CUDA GPUs or the CPU, not {device.type}; "
             "set CNN_COURSE_DEVICE=cpu")  # fmt: skip
    if world_size > 1:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return device


def shard_batches(images, labels, order, rank: int, world_size: int, batch_size: int):
    """This rank's batches of one epoch. Global batch k is ``order[k*G : (k+1)*G]`` with
    G = batch_size x world_size; rank r takes every world_size-th image of it, from the r-th.
    An incomplete last global batch is left out, so every rank takes equal, full steps."""
    global_batch = batch_size * world_size
    for start in range(0, len(order) - global_batch + 1, global_batch):
        index = order[start + rank : start + global_batch : world_size]
        yield images[index], labels[index]


class EpochShards:
    """What ``utils.fit`` iterates over on this rank: each pass is one epoch, a new seeded
    permutation (the same on every rank: same generator, same seed) sharded by
    :func:`shard_batches`. Rank 0 shows the progress bar. ``crash_at_step`` (for the tests)
    kills the last rank at that step of the whole run, on torchrun's first try only."""

    def __init__(self, images, labels, generator: torch.Generator, rank: int, world_size: int,
                 batch_size: int, crash_at_step: int | None = None) -> None:  # fmt: skip
        self.images, self.labels, self.generator = images, labels, generator
        self.rank, self.world_size, self.batch_size = rank, world_size, batch_size
        self.epoch, self.epochs, self.crash_at_step = 0, 0, crash_at_step
        self.progress = rank == 0 and os.environ.get("CNN_COURSE_PROGRESS", "1") != "0"

    def __len__(self) -> int:
        return len(self.labels) // (self.batch_size * self.world_size)

    def __iter__(self):
        order = torch.randperm(len(self.labels), generator=self.generator)
        batches = shard_batches(self.images, self.labels, order.to(self.images.device),
                                self.rank, self.world_size, self.batch_size)  # fmt: skip
        first_try = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0") == "0"
        dies = first_try and self.crash_at_step and self.rank == self.world_size - 1
        bar = tqdm(batches, total=len(self), desc=f"epoch {self.epoch}/{self.epochs}",
                   leave=False, disable=not self.progress, unit="step")  # fmt: skip
        for step, batch in enumerate(bar, (self.epoch - 1) * len(self) + 1):
            if dies and step == self.crash_at_step:
                os.kill(os.getpid(), signal.SIGKILL)  # a hard crash: no exception, no clean-up
            yield batch


def evaluate_all(model: nn.Module, shard: utils.TensorBatches, world_size: int) -> list[float]:
    """Loss and accuracy over a whole split of which this rank holds ``shard``: the sums of
    all ranks are all-reduced, so every rank returns the same two numbers."""
    loss, accuracy = utils.evaluate(model, shard)
    count = len(shard.labels)
    sums = torch.tensor([loss * count, round(accuracy * count), count], dtype=torch.float64,
                        device=shard.device)  # fmt: skip
    if world_size > 1:
        dist.all_reduce(sums)
    return (sums[:2] / sums[2]).tolist()


def read_resume_state(args: argparse.Namespace, model: nn.Module) -> dict | None:
    """Rank 0's part of ``--resume``: load the weights into ``model``, return the rest."""
    path = args.out / "last.pt" if args.resume == "auto" else Path(args.resume)
    if args.resume == "auto" and not path.is_file():
        return None  # nothing saved yet: a first run, or a restart before the first epoch ended
    wanted = f"--resume needs a last.pt that scripts/train.py --model {args.model} wrote"
    if not path.is_file():
        fail(f"--resume {path}: no such file; {wanted} (or --resume alone: OUT/last.pt if any)")
    try:
        state = utils.load_checkpoint(path, model)
    except ValueError as error:
        fail(f"{str(error).splitlines()[0]}; {wanted}")
    if "optimizer" not in state or state.get("model_name") != args.model:
        fail(f"{path} holds no training state (optimizer, epoch) of --model {args.model}; {wanted}")
    return state


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    rank, world_size = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
    if args.model not in MODELS:
        fail(f"unknown model {args.model!r}; choose one of: {', '.join(MODELS)}")
    if args.global_batch_size is not None:
        if args.global_batch_size % world_size:
            fail(f"--global-batch-size {args.global_batch_size} does not divide across "
                 f"{world_size} processes; use a multiple of it, or --batch-size")  # fmt: skip
        args.batch_size = args.global_batch_size // world_size
    if args.batch_size < 1 or args.epochs < 1:
        fail("--batch-size, --global-batch-size and --epochs must be at least 1 per rank")
    args.out = args.out or Path("runs") / args.model
    device = join_process_group(world_size)
    try:
        train(args, rank, world_size, device)
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def train(args: argparse.Namespace, rank: int, world_size: int, device: torch.device) -> None:
    log = print if rank == 0 else lambda *_, **__: None
    utils.seed_everything(args.seed)  # the same initial weights on every rank
    dtype = torch.float64 if args.float64 else torch.float32
    model = MODELS[args.model]().to(device, dtype)
    state = read_resume_state(args, model) if args.resume and rank == 0 else None
    if world_size > 1:  # only rank 0 reads the file, so machines need no shared folder
        shared = [state]
        dist.broadcast_object_list(shared, src=0)
        state = shared[0]
    bare_model = convert_sync_bn(model, device) if args.sync_bn else model  # what we save
    if world_size > 1:  # copies rank 0's weights to every rank; averages gradients in backward
        model = DistributedDataParallel(bare_model, device_ids=None if device.index is None
                                        else [device.index])  # fmt: skip
    if args.optimizer == "sgd":
        optimizer = torch.optim.SGD(model.parameters(), lr=args.lr or 0.05, momentum=0.9)
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=args.lr or 2e-3)
    scheduler = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=1.0, end_factor=0.1,
                                                  total_iters=max(args.epochs - 1, 1))  # fmt: skip
    order_generator = torch.Generator().manual_seed(args.seed)  # the same on every rank
    history = {key: [] for key in HISTORY_KEYS}
    if state is not None:
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        order_generator.set_state(state["rng"]["order"])
        torch.set_rng_state(state["rng"]["torch"])
        history = state["history"]
        log(f"resumed after epoch {state['epoch']} of {args.out / 'last.pt'}")

    data, subset = utils.load_fashion_mnist(), slice(args.subset)
    train_images = utils.to_float_images(data.train_images[subset]).to(device, dtype)
    shards = EpochShards(train_images, data.train_labels[subset].to(device), order_generator,
                         rank, world_size, args.batch_size, args.crash_at_step)  # fmt: skip
    global_batch, steps_per_epoch = args.batch_size * world_size, len(shards)
    if steps_per_epoch == 0:
        fail(f"{len(shards.labels)} training images do not fill one global batch of "
             f"{global_batch}; use a larger --subset or a smaller batch")  # fmt: skip
    val, test = (utils.TensorBatches(utils.to_float_images(images[subset][rank::world_size])
                                     .to(dtype), labels[subset][rank::world_size],
                                     batch_size=1000, device=device)
                 for images, labels in ((data.val_images, data.val_labels),
                                        (data.test_images, data.test_labels)))  # fmt: skip
    backend = dist.get_backend() if world_size > 1 else "no process group"
    processes, threads = world_size, torch.get_num_threads()
    log(f"{processes} process{'es' * (processes > 1)} x {args.batch_size} images = global batch "
        f"{global_batch}; {steps_per_epoch} steps per epoch; {args.model} on {device.type} "
        f"({backend}), {threads} thread{'s' * (threads > 1)} per process")  # fmt: skip
    shared_store = os.environ.get("TORCHELASTIC_USE_AGENT_STORE") == "True"
    if shared_store and os.environ.get("TORCHELASTIC_MAX_RESTARTS", "0") != "0":
        log("warning: restarted workers may read the old addresses from torchrun's shared store "
            "(PyTorch issue 135712); launch with TORCH_DISABLE_SHARE_RDZV_TCP_STORE=1")  # fmt: skip

    shards.epochs = args.epochs
    for epoch in range(len(history["epoch"]) + 1, args.epochs + 1):
        shards.epoch = epoch
        # one epoch of utils.fit on this rank's shard: forward and loss (under autocast on
        # GPUs), backward (DDP averages the gradients meanwhile), optimizer and scheduler step
        local = utils.fit(model, shards, epochs=1, optimizer=optimizer, scheduler=scheduler,
                          amp=not (args.no_amp or args.float64), progress=False,
                          verbose=False)  # fmt: skip
        # (progress=False: the bar is EpochShards', on rank 0 alone, named by the real epoch)
        count = steps_per_epoch * args.batch_size  # this rank's images
        sums = torch.tensor([local["train_loss"][0] * count,
                             round(local["train_acc"][0] * count), count],
                            dtype=torch.float64, device=device)  # fmt: skip
        if world_size > 1:
            dist.all_reduce(sums)  # every rank reports the numbers of the whole global batch
        loss_sum, correct, count = sums.tolist()
        seconds = local["seconds"][0]
        val_loss, val_acc = evaluate_all(bare_model, val, world_size)
        row = (epoch, loss_sum / count, correct / count, val_loss, val_acc, seconds)
        for key, value in zip(HISTORY_KEYS, row, strict=True):
            history[key].append(value)
        log(f"epoch {epoch}/{args.epochs}  train loss {row[1]:.4f} acc {row[2]:.2%}  |  val loss "
            f"{val_loss:.4f} acc {val_acc:.2%}  |  {count / seconds:,.0f} images/s")  # fmt: skip
        if rank == 0:  # utils.save_checkpoint writes a temporary file, then renames it
            rng = {"order": order_generator.get_state(), "torch": torch.get_rng_state()}
            utils.save_checkpoint(args.out / "last.pt", bare_model, model_name=args.model,
                                  epoch=epoch, optimizer=optimizer.state_dict(),
                                  scheduler=scheduler.state_dict(), rng=rng, history=history,
                                  world_size=world_size, global_batch=global_batch)  # fmt: skip
    _, test_accuracy = evaluate_all(bare_model, test, world_size)  # the final model, scored once
    log(f"test accuracy {test_accuracy:.2%} on {len(data.test_labels[subset]):,} images")


if __name__ == "__main__":
    main()
