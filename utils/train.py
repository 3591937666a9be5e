"""Training and evaluating every model the same way: chapter 1's loop, plus bookkeeping."""

import os
import sys
import time
from collections.abc import Callable, Iterable

import torch
from torch import nn
from tqdm import tqdm

Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]


def _device_of(model: nn.Module) -> torch.device:
    return next(model.parameters(), torch.empty(0)).device  # batches are moved to it


def autocast_dtype(device: torch.device) -> torch.dtype | None:
    """Training precision: bfloat16 where the GPU has it in hardware (not emulated), float16
    with a ``GradScaler`` on other GPUs, ``None`` (float32) off CUDA.
    >>> autocast_dtype(torch.device("cpu")) is None
    True
    """
    if device.type != "cuda":
        return None
    hardware_bf16 = torch.cuda.is_bf16_supported(including_emulation=False)
    return torch.bfloat16 if hardware_bf16 else torch.float16


def evaluate(model: nn.Module, batches: Batches, loss_fn: Callable | None = None
             ) -> tuple[float, float]:  # fmt: skip
    """Mean loss and accuracy (a fraction) over ``batches``, in ``eval()`` mode, float32 and
    ``inference_mode``; the model's mode is restored afterwards.
    >>> model = nn.Linear(2, 2); model.weight.data, model.bias.data = torch.eye(2), torch.zeros(2)
    >>> [round(value, 4) for value in evaluate(model, [(torch.eye(2), torch.tensor([0, 1]))])]
    [0.3133, 1.0]
    """
    loss_fn, device = loss_fn or nn.CrossEntropyLoss(), _device_of(model)
    was_training, total_loss, correct, count = model.training, 0.0, 0, 0
    model.eval()
    with torch.inference_mode():
        for images, labels in batches:
            logits, labels = model(images.to(device)), labels.to(device)
            total_loss += loss_fn(logits, labels).item() * len(labels)
            correct += (logits.argmax(1) == labels).sum().item()
            count += len(labels)
    model.train(was_training)
    if count == 0:
        raise ValueError("evaluate got no batches: is the data set empty?")
    return total_loss / count, correct / count


def predict(model: nn.Module, images: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    """The float32 logits of ``model`` for ``images``, on the CPU, in ``eval()`` mode.
    >>> predict(nn.Linear(4, 3), torch.rand(5, 4)).shape
    torch.Size([5, 3])
    """
    device, was_training = _device_of(model), model.training
    model.eval()
    with torch.inference_mode():
        logits = [model(images[i : i + batch_size].to(device)).float().cpu()
                  for i in range(0, len(images), batch_size)]  # fmt: skip
    model.train(was_training)
    if not logits:
        raise ValueError("predict got no images")
    return torch.cat(logits)


def fit(model: nn.Module, train: Batches, val: Batches | None = None, *, epochs: int,
        optimizer: torch.optim.Optimizer, loss_fn: Callable | None = None,
        scheduler: torch.optim.lr_scheduler.LRScheduler | None = None, amp: bool = True,
        progress: bool | None = None, verbose: bool = True) -> dict[str, list[float]]:  # fmt: skip
    """Train ``model`` (on its device) for ``epochs`` passes over ``train``; return the history
    (``epoch``, ``train_loss``, ``train_acc``, ``val_loss``, ``val_acc``, ``seconds``). The
    ``scheduler`` steps once per epoch. On CUDA, forward and loss run under autocast unless
    ``amp=False``; validation is always float32. A progress bar shows unless ``progress=False``
    or ``$CNN_COURSE_PROGRESS`` is ``0`` (as when the course's stored pages are made).
    >>> model, data = nn.Linear(2, 2), [(torch.eye(2), torch.tensor([0, 1]))]
    >>> history = fit(model, data, epochs=3, optimizer=torch.optim.SGD(model.parameters(), lr=1.0),
    ...               verbose=False, progress=False)
    >>> history["train_loss"][2] < history["train_loss"][0]
    True
    """
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be an int >= 1, got {epochs!r}")
    loss_fn, device = loss_fn or nn.CrossEntropyLoss(), _device_of(model)
    amp_dtype = autocast_dtype(device) if amp else None
    scaler = torch.amp.GradScaler(device.type, enabled=amp_dtype == torch.float16)
    progress = os.environ.get("CNN_COURSE_PROGRESS", "1") != "0" if progress is None else progress
    history: dict[str, list[float]] = {}
    for epoch in range(1, epochs + 1):
        start, total_loss, correct, count = time.perf_counter(), 0.0, 0, 0
        model.train()
        for images, labels in tqdm(train, f"epoch {epoch}/{epochs}", leave=False,
                                   disable=not progress, file=sys.stdout):  # fmt: skip
            images = images.to(device, non_blocking=True)
            labels = labels.to(device, non_blocking=True)
            with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
                logits = model(images)
                loss = loss_fn(logits, labels)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()  # on CPU the scaler is off: plain loss.backward()
            scaler.step(optimizer)
            scaler.update()
            total_loss += loss.detach().float() * len(labels)  # a tensor: no sync per batch
            correct += (logits.argmax(1) == labels).sum()
            count += len(labels)
        if count == 0:
            raise ValueError("train produced no batches: is the data set empty?")
        if scheduler is not None:
            scheduler.step()
        val_loss, val_acc = (float("nan"),) * 2 if val is None else evaluate(model, val, loss_fn)
        train_loss, train_acc = float(total_loss) / count, int(correct) / count
        row = (epoch, train_loss, train_acc, val_loss, val_acc, time.perf_counter() - start)
        for key, value in zip(("epoch", "train_loss", "train_acc", "val_loss", "val_acc",
                               "seconds"), row, strict=True):  # fmt: skip
            history.setdefault(key, []).append(value)
        if verbose:
            line = f"epoch {epoch}/{epochs}  train loss {train_loss:.4f} acc {train_acc:.2%}"
            line += f"  |  val loss {val_loss:.4f} acc {val_acc:.2%}" if val is not None else ""
            print(f"{line}  |  {row[-1]:.1f} s", flush=True)
    model.train()
    return history
