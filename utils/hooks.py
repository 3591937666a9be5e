"""Capturing what the layers of a network compute (chapters 6 and 11)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn


@contextmanager
def capture_activations(
    model: nn.Module, layer_types: tuple[type[nn.Module], ...] = (nn.Conv2d,)
) -> Iterator[dict[str, torch.Tensor]]:
    """Record the output of every layer of the given types while the ``with`` block runs.

    Forward hooks are registered on entry and always removed on exit, even after an error.
    The dict maps layer names (as in ``model.named_modules()``) to detached outputs.

    >>> model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Conv2d(4, 8, 3))
    >>> with capture_activations(model) as maps:
    ...     _ = model(torch.zeros(1, 1, 10, 10))
    >>> {name: tuple(out.shape) for name, out in maps.items()}
    {'0': (1, 4, 8, 8), '2': (1, 8, 6, 6)}
    """
    if not isinstance(layer_types, tuple) or not layer_types:
        raise ValueError("layer_types must be a non-empty tuple of nn.Module classes")
    activations: dict[str, torch.Tensor] = {}
    handles = []

    def recorder(name: str):
        def hook(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
            activations[name] = output.detach()

        return hook

    for name, module in model.named_modules():
        if isinstance(module, layer_types):
            handles.append(module.register_forward_hook(recorder(name)))
    if not handles:
        names = ", ".join(t.__name__ for t in layer_types)
        raise ValueError(f"the model has no layer of type {names} to capture")
    try:
        yield activations
    finally:
        for handle in handles:
            handle.remove()
