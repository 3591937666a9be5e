"""One way to train and evaluate every model of the course (introduced in chapter 1).

``fit`` is chapter 1's loop (forward, loss, ``zero_grad``, ``backward``, ``step``) plus
bookkeeping: a history, a progress bar, and on CUDA mixed precision and non-blocking copies.
``evaluate`` and ``predict`` always run in float32, so they agree on every device.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections.abc import Callable, Iterable

import torch
from torch import nn

with warnings.catch_warnings():  # tqdm warns when ipywidgets is missing; the text bar is fine
    warnings.simplefilter("ignore")
    from tqdm.auto import tqdm

Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
History = dict[str, list[float]]
"""Per epoch: ``epoch``, ``train_loss``, ``train_acc``, ``val_loss``, ``val_acc``, ``seconds``."""


def _device_of(model: nn.Module, batches: Batches | None = None) -> torch.device:
    parameter = next(model.parameters(), None)
    device = parameter.device if parameter is not None else torch.device("cpu")
    data_device = getattr(batches, "device", None)
    if data_device is not None and torch.device(data_device).type != device.type:
        raise ValueError(f"the model is on {device} but the batches live on {data_device}; "
                         f"move one of them, e.g. model.to({str(data_device)!r})")  # fmt: skip
    return device


def autocast_dtype(device: torch.device) -> torch.dtype | None:
    """The mixed-precision type for training on ``device``: bfloat16 where the GPU has it in
    hardware, float16 (with a ``GradScaler``) on other GPUs, ``None`` (float32) off CUDA.

    >>> autocast_dtype(torch.device("cpu")) is None
    True
    """
    if device.type != "cuda":
        return None
    hardware_bf16 = torch.cuda.is_bf16_supported(including_emulation=False)
    return torch.bfloat16 if hardware_bf16 else torch.float16


def evaluate(model: nn.Module, batches: Batches, loss_fn: LossFn | None = None
             ) -> tuple[float, float]:  # fmt: skip
    """Mean loss and accuracy (a fraction) over ``batches``, in ``eval()`` mode, float32,
    under ``inference_mode``; the model's mode is restored afterwards.

    >>> model = nn.Linear(2, 2)
    >>> evaluate(model, [(torch.zeros(4, 2), torch.zeros(4, dtype=torch.long))])[1] in (0, 1)
    True
    """
    loss_fn, device = loss_fn or nn.CrossEntropyLoss(), _device_of(model, batches)
    was_training, total_loss, correct, count = model.training, 0.0, 0, 0
    model.eval()
    with torch.inference_mode():
        for images, labels in batches:
            images, labels = images.to(device), labels.to(device)
            logits = model(images)
            total_loss += loss_fn(logits, labels).item() * len(labels)
            correct += (logits.argmax(1) == labels).sum().item()
            count += len(labels)
    model.train(was_training)
    if count == 0:
        raise ValueError("evaluate got no batches: is the data set empty?")
    return total_loss / count, correct / count


def predict(model: nn.Module, images: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    """The logits of ``model`` for ``images``, in float32, as a CPU tensor.

    >>> predict(nn.Linear(4, 3), torch.rand(5, 4)).shape
    torch.Size([5, 3])
    """
    if len(images) == 0:
        raise ValueError("predict got no images")
    device, was_training = _device_of(model), model.training
    model.eval()
    with torch.inference_mode():
        logits = [model(images[i : i + batch_size].to(device)).float().cpu()
                  for i in range(0, len(images), batch_size)]  # fmt: skip
    model.train(was_training)
    return torch.cat(logits)


def fit(model: nn.Module, train: Batches, val: Batches | None = None, *, epochs: int,
        optimizer: torch.optim.Optimizer, loss_fn: LossFn | None = None,
        scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
        max_grad_norm: float | None = None, amp: bool = True, progress: bool | None = None,
        verbose: bool = True) -> History:  # fmt: skip
    """Train ``model`` (already on its device) for ``epochs`` passes over ``train``.

    ``scheduler`` steps once per epoch. On CUDA the forward pass and loss run under autocast
    unless ``amp=False``; validation is always float32. ``progress=None`` shows a bar unless
    ``$CNN_COURSE_PROGRESS`` is ``0`` (set when the course's stored pages are executed).

    >>> model = nn.Linear(2, 2)
    >>> data = [(torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([0, 1]))]
    >>> history = fit(model, data, epochs=3, verbose=False, progress=False,
    ...               optimizer=torch.optim.SGD(model.parameters(), lr=1.0))
    >>> history["train_loss"][2] < history["train_loss"][0]
    True
    """
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be an int >= 1, got {epochs!r}")
    loss_fn, device = loss_fn or nn.CrossEntropyLoss(), _device_of(model, train)
    amp_dtype = autocast_dtype(device) if amp else None
    scaler = torch.amp.GradScaler(device.type, enabled=amp_dtype == torch.float16)
    if progress is None:
        progress = os.environ.get("CNN_COURSE_PROGRESS", "1") != "0"
    keys = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "seconds")
    history: History = {key: [] for key in keys}
    for epoch in range(1, epochs + 1):
        start, total_loss, correct, count = time.perf_counter(), 0.0, 0, 0
        model.train()
        bar = tqdm(train, desc=f"epoch {epoch}/{epochs}", leave=False, disable=not progress,
                   file=sys.stdout, unit="batch")  # fmt: skip
        for images, labels in bar:
            images = images.to(device, non_blocking=True)
            labels = labels.to(device, non_blocking=True)
            with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
                logits = model(images)
                loss = loss_fn(logits, labels)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            if max_grad_norm is not None:
                scaler.unscale_(optimizer)
                nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
            scaler.step(optimizer)
            scaler.update()
            total_loss += loss.detach().float() * len(labels)  # a tensor: no sync per batch
            correct += (logits.argmax(1) == labels).sum()
            count += len(labels)
        bar.close()
        if count == 0:
            raise ValueError("train produced no batches: is the data set empty?")
        if scheduler is not None:
            scheduler.step()
        val_loss, val_acc = evaluate(model, val, loss_fn) if val is not None else (float("nan"),) * 2
        row = (epoch, float(total_loss) / count, int(correct) / count, val_loss, val_acc,
               time.perf_counter() - start)  # fmt: skip
        for key, value in zip(keys, row, strict=True):
            history[key].append(value)
        if verbose:
            line = f"epoch {epoch}/{epochs}  train loss {row[1]:.4f} acc {row[2]:.2%}"
            line += f"  |  val loss {val_loss:.4f} acc {val_acc:.2%}" if val is not None else ""
            print(f"{line}  |  {row[5]:.1f} s", flush=True)
    model.train()
    return history
