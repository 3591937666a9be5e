"""Training and evaluating every model the same way: chapter 1's
``train_one_epoch`` and ``evaluate``, and ``fit``, a short loop over them."""

import sys
import time
from collections.abc import Callable, Iterable

import torch
from torch import nn
from tqdm import tqdm

from utils import config

Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]
# what fit's history holds: one value of each per epoch
HISTORY_KEYS = tuple(
    "epoch train_loss train_acc val_loss val_acc seconds".split()
)
NAN = float("nan")  # the validation numbers of a run without validation


def _device_of(model: nn.Module) -> torch.device:
    # batches are moved to where the model's parameters are
    return next(model.parameters(), torch.empty(0)).device


def autocast_dtype(device: torch.device) -> torch.dtype | None:
    """Training precision: bfloat16 where the GPU has it in hardware (not
    emulated), float16 with a ``GradScaler`` on other GPUs, ``None``
    (float32) off CUDA.

    >>> autocast_dtype(torch.device("cpu")) is None
    True
    """
    if device.type != "cuda":
        return None
    hardware_bf16 = torch.cuda.is_bf16_supported(including_emulation=False)
    return torch.bfloat16 if hardware_bf16 else torch.float16


def train_one_epoch(
    model: nn.Module,
    batches: Batches,
    optimizer: torch.optim.Optimizer,
    *,
    loss_fn: Callable | None = None,
    scaler: torch.amp.GradScaler | None = None,
    amp_dtype: torch.dtype | None = None,
    progress: bool = False,
    sums: bool = False,
) -> tuple[float, float] | tuple[float, int, int]:
    """One pass over ``batches`` in ``train()`` mode: the mean loss and the
    accuracy, or with ``sums`` the loss sum, the number correct and the
    count (which processes can add up). ``amp_dtype`` turns on autocast;
    ``scaler`` scales float16 losses.

    >>> model, data = nn.Linear(2, 2), [(torch.eye(2), torch.tensor([0, 1]))]
    >>> sgd = torch.optim.SGD(model.parameters(), lr=0.1)
    >>> train_one_epoch(model, data, sgd, sums=True)[1:]
    (1, 2)
    """
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    device = _device_of(model)
    scaler = scaler or torch.amp.GradScaler(device.type, enabled=False)
    model.train()  # dropout and batch norm in training mode
    # the sums stay tensors on the device: no waiting for them every batch
    loss_sum, correct, count = torch.zeros((), device=device), 0, 0
    for images, labels in tqdm(
        batches, "train", leave=False, disable=not progress, file=sys.stdout
    ):
        images = images.to(device, non_blocking=True)  # to the model
        labels = labels.to(device, non_blocking=True)
        use_amp = amp_dtype is not None  # mixed precision, CUDA only
        with torch.autocast(device.type, dtype=amp_dtype, enabled=use_amp):
            logits = model(images)  # 1. forward pass
            loss = loss_fn(logits, labels)  # 2. one number for the batch
        optimizer.zero_grad(set_to_none=True)  # 3. forget old gradients
        scaler.scale(loss).backward()  # 4. backpropagation (fills .grad)
        scaler.step(optimizer)  # 5. update every parameter
        scaler.update()
        loss_sum += loss.detach().float() * len(labels)
        correct += (logits.argmax(1) == labels).sum()
        count += len(labels)
    if count == 0:
        raise ValueError(
            "train_one_epoch got no batches: is the data set empty?"
        )
    totals = float(loss_sum), int(correct), count
    return totals if sums else (totals[0] / count, totals[1] / count)


def evaluate(
    model: nn.Module,
    batches: Batches,
    loss_fn: Callable | None = None,
    *,
    sums: bool = False,
) -> tuple[float, float] | tuple[float, int, int]:
    """The mean loss and the accuracy over ``batches`` (or with ``sums`` the
    loss sum, the number correct and the count), in ``eval()`` mode, float32
    and ``inference_mode``; the model's mode is restored afterwards.

    >>> model = nn.Linear(2, 2)
    >>> model.weight.data, model.bias.data = torch.eye(2), torch.zeros(2)
    >>> data = [(torch.eye(2), torch.tensor([0, 1]))]
    >>> [round(value, 4) for value in evaluate(model, data)]
    [0.3133, 1.0]
    """
    loss_fn, device = loss_fn or nn.CrossEntropyLoss(), _device_of(model)
    was_training, loss_sum, correct, count = model.training, 0.0, 0, 0
    model.eval()  # dropout off, batch norm uses its running statistics
    with torch.inference_mode():
        for images, labels in batches:
            logits, labels = model(images.to(device)), labels.to(device)
            loss_sum += loss_fn(logits, labels).item() * len(labels)
            correct += (logits.argmax(1) == labels).sum().item()
            count += len(labels)
    model.train(was_training)
    if count == 0:
        raise ValueError("evaluate got no batches: is the data set empty?")
    return (
        (loss_sum, correct, count)
        if sums
        else (loss_sum / count, correct / count)
    )


def predict(
    model: nn.Module, images: torch.Tensor, batch_size: int = 1024
) -> torch.Tensor:
    """The float32 logits of ``model`` for ``images``, on the CPU, in
    ``eval()`` mode.

    >>> predict(nn.Linear(4, 3), torch.rand(5, 4)).shape
    torch.Size([5, 3])
    """
    device, was_training = _device_of(model), model.training
    model.eval()
    with torch.inference_mode():
        logits = [
            model(images[i : i + batch_size].to(device)).float().cpu()
            for i in range(0, len(images), batch_size)
        ]
    model.train(was_training)
    if not logits:
        raise ValueError("predict got no images")
    return torch.cat(logits)


def _summary(epochs: int, row: tuple, with_val: bool) -> str:
    epoch, loss, accuracy, val_loss, val_accuracy, seconds = row
    line = f"epoch {epoch}/{epochs}  train loss {loss:.4f} acc {accuracy:.2%}"
    if with_val:
        line += f"  |  val loss {val_loss:.4f} acc {val_accuracy:.2%}"
    return f"{line}  |  {seconds:.1f} s"


def fit(
    model: nn.Module,
    train: Batches,
    val: Batches | None = None,
    *,
    epochs: int,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable | None = None,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    amp: bool = True,
    progress: bool | None = None,
    verbose: bool = True,
) -> dict[str, list[float]]:
    """Train ``model`` (on its device) for ``epochs`` calls of
    :func:`train_one_epoch`; return the history (``epoch``, ``train_loss``,
    ``train_acc``, ``val_loss``, ``val_acc``, ``seconds``). The
    ``scheduler`` steps once per epoch. On CUDA, training runs under
    autocast unless ``amp=False``; :func:`evaluate` is always float32.
    Progress bars show unless ``progress=False`` or
    ``$CNN_COURSE_PROGRESS=0``.

    >>> model, data = nn.Linear(2, 2), [(torch.eye(2), torch.tensor([0, 1]))]
    >>> sgd = torch.optim.SGD(model.parameters(), lr=1.0)
    >>> history = fit(model, data, epochs=3, optimizer=sgd, progress=False,
    ...               verbose=False)
    >>> history["train_loss"][2] < history["train_loss"][0]
    True
    """
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be an int >= 1, got {epochs!r}")
    device = _device_of(model)
    amp_dtype = autocast_dtype(device) if amp else None
    fp16 = amp_dtype == torch.float16  # bf16 and float32 need no scaling
    scaler = torch.amp.GradScaler(device.type, enabled=fp16)
    progress = config.show_progress() if progress is None else progress
    options = dict(scaler=scaler, amp_dtype=amp_dtype, progress=progress)
    history: dict[str, list[float]] = {key: [] for key in HISTORY_KEYS}
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        train_loss, train_acc = train_one_epoch(
            model, train, optimizer, loss_fn=loss_fn, **options
        )
        if scheduler is not None:
            scheduler.step()
        val_loss, val_acc = (
            (NAN, NAN) if val is None else evaluate(model, val, loss_fn)
        )
        seconds = time.perf_counter() - start
        row = (epoch, train_loss, train_acc, val_loss, val_acc, seconds)
        for key, value in zip(HISTORY_KEYS, row, strict=True):
            history[key].append(value)
        if verbose:
            print(_summary(epochs, row, val is not None), flush=True)
    return history
