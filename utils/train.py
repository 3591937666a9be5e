"""One way to train and evaluate every model in the course (introduced in chapter 1).

``fit`` runs the usual loop (forward, loss, backward, step) over mini-batches and returns a
``History``. On CUDA it uses mixed precision (``torch.autocast`` with bfloat16, or float16
with a ``GradScaler``) and non-blocking copies; on CPU it runs in plain float32. The same code
path serves every device through ``enabled=`` flags.
"""

from __future__ import annotations

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
History = dict[str, list[float]]
"""Per-epoch record: ``epoch``, ``train_loss``, ``train_acc``, ``val_loss``, ``val_acc``,
``seconds`` (accuracies are fractions in [0, 1]). A plain dict of lists, ready for
``pandas.DataFrame(history)`` or :func:`utils.plots.plot_history`."""


def _model_device(model: nn.Module) -> torch.device:
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")


def _check_batches(batches: Batches, name: str, device: torch.device) -> None:
    try:
        size = len(batches)  # type: ignore[arg-type]
    except TypeError:
        size = None
    if size == 0:
        raise ValueError(f"{name} has no batches: is the data set empty?")
    data_device = getattr(batches, "device", None)
    if data_device is not None and torch.device(data_device).type != device.type:
        raise ValueError(
            f"the model is on {device} but {name} keeps its tensors on {data_device}; "
            f"move one of them, e.g. model.to({str(data_device)!r})"
        )


def _autocast_dtype(device: torch.device) -> torch.dtype | None:
    """bfloat16 where the GPU supports it, else float16; None (no autocast) off CUDA."""
    if device.type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def evaluate(
    model: nn.Module,
    batches: Batches,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
) -> tuple[float, float]:
    """Return the mean loss and the accuracy (a fraction) of ``model`` over ``batches``.

    Runs in ``eval()`` mode under ``torch.inference_mode()`` and restores the model's mode.

    >>> from utils.data import TensorBatches
    >>> model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    >>> batches = TensorBatches(torch.rand(6, 1, 2, 2), torch.zeros(6).long())
    >>> loss, accuracy = evaluate(model, batches)
    >>> 0.0 <= accuracy <= 1.0
    True
    """
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    device = _model_device(model)
    _check_batches(batches, "batches", device)
    was_training = model.training
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    with (
        torch.inference_mode(),
        torch.autocast(
            device.type, dtype=_autocast_dtype(device), enabled=_autocast_dtype(device) is not None
        ),
    ):
        for images, labels in batches:
            images = images.to(device, non_blocking=True)
            labels = labels.to(device, non_blocking=True)
            logits = model(images)
            total_loss += loss_fn(logits.float(), labels).item() * len(labels)
            correct += (logits.argmax(1) == labels).sum().item()
            count += len(labels)
    model.train(was_training)
    return total_loss / count, correct / count


def predict(model: nn.Module, images: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    """Return the logits of ``model`` for ``images`` (a tensor), as a float32 CPU tensor.

    >>> model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    >>> predict(model, torch.rand(5, 1, 2, 2)).shape
    torch.Size([5, 3])
    """
    if len(images) == 0:
        raise ValueError("predict got no images")
    device = _model_device(model)
    was_training = model.training
    model.eval()
    outputs = []
    with torch.inference_mode():
        for start in range(0, len(images), batch_size):
            batch = images[start : start + batch_size].to(device, non_blocking=True)
            outputs.append(model(batch).float().cpu())
    model.train(was_training)
    return torch.cat(outputs)


def fit(
    model: nn.Module,
    train: Batches,
    val: Batches | None = None,
    *,
    epochs: int,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    max_grad_norm: float | None = None,
    amp: bool = True,
    progress: bool = True,
    verbose: bool = True,
) -> History:
    """Train ``model`` for ``epochs`` passes over ``train`` and return the epoch history.

    ``train`` and ``val`` yield ``(images, labels)`` batches: a :class:`utils.data.TensorBatches` or
    a ``torch.utils.data.DataLoader``. The model must already be on its device
    (``model.to(device)``). ``scheduler`` (if given) steps once per epoch. ``amp=False``
    turns mixed precision off on CUDA (it is never used on CPU or MPS). With ``verbose``
    one line per epoch is printed; ``progress`` shows a live bar while an epoch runs.

    >>> from utils.data import TensorBatches
    >>> model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    >>> data = TensorBatches(torch.rand(8, 1, 2, 2), torch.zeros(8).long(), batch_size=4)
    >>> history = fit(model, data, epochs=2, verbose=False, progress=False,
    ...               optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    >>> history["train_loss"][1] < history["train_loss"][0]
    True
    """
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be an int >= 1, got {epochs!r}")
    if next(model.parameters(), None) is None:
        raise ValueError("the model has no parameters to train")
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    device = _model_device(model)
    _check_batches(train, "train", device)
    if val is not None:
        _check_batches(val, "val", device)
    amp_dtype = _autocast_dtype(device) if amp else None
    scaler = torch.amp.GradScaler(device.type, enabled=amp_dtype == torch.float16)
    runner = model
    if device.type == "cuda" and torch.cuda.device_count() > 1:
        runner = nn.DataParallel(model)  # splits each batch across the visible GPUs

    history: History = {
        key: [] for key in ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "seconds")
    }
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        model.train()
        total_loss = torch.zeros((), device=device)  # summed on the device: no sync per batch
        correct = torch.zeros((), device=device, dtype=torch.long)
        count = 0
        bar = tqdm(
            train,
            desc=f"epoch {epoch}/{epochs}",
            leave=False,
            disable=not progress,
            file=sys.stdout,
            unit="batch",
        )
        for images, labels in bar:
            images = images.to(device, non_blocking=True)
            labels = labels.to(device, non_blocking=True)
            with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
                logits = runner(images)
                loss = loss_fn(logits, labels)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            if max_grad_norm is not None:
                scaler.unscale_(optimizer)
                nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
            scaler.step(optimizer)
            scaler.update()
            total_loss += loss.detach().float() * len(labels)
            correct += (logits.argmax(1) == labels).sum()
            count += len(labels)
        bar.close()
        if count == 0:
            raise ValueError("train produced no batches")
        if scheduler is not None:
            scheduler.step()
        train_loss, train_acc = total_loss.item() / count, correct.item() / count
        val_loss, val_acc = (
            evaluate(model, val, loss_fn) if val is not None else (float("nan"),) * 2
        )
        seconds = time.perf_counter() - start
        for key, value in zip(
            history, (epoch, train_loss, train_acc, val_loss, val_acc, seconds), strict=True
        ):
            history[key].append(value)
        if verbose:
            line = f"epoch {epoch}/{epochs}  train loss {train_loss:.4f} acc {train_acc:.2%}"
            if val is not None:
                line += f"  |  val loss {val_loss:.4f} acc {val_acc:.2%}"
            print(f"{line}  |  {seconds:.1f} s", flush=True)
    model.train()
    return history
