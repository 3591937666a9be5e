"""Recording what the layers of a network compute, with forward hooks (chapters 6 and 11)."""

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn


@contextmanager
def capture_activations(model: nn.Module, layer_types: tuple[type[nn.Module], ...] = (nn.Conv2d,)
                        ) -> Iterator[dict[str, torch.Tensor]]:  # fmt: skip
    """While the ``with`` block runs, map each layer of ``layer_types`` (by its name in
    ``model``) to its detached output; the hooks are removed on exit, even after an error.

    >>> model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Conv2d(4, 8, 3))
    >>> with capture_activations(model) as maps: _ = model(torch.zeros(1, 1, 10, 10))
    >>> {name: tuple(output.shape) for name, output in maps.items()}
    {'0': (1, 4, 8, 8), '2': (1, 8, 6, 6)}
    """
    outputs: dict[str, torch.Tensor] = {}
    layers = [(name, m) for name, m in model.named_modules() if isinstance(m, layer_types)]
    if not layers:
        raise ValueError(f"the model has no layer of type {layer_types} to capture")
    # name=name gives each hook its own layer's name (a plain closure would see the last one)
    handles = [module.register_forward_hook(lambda m, inputs, output, name=name: outputs.update(
        {name: output.detach()})) for name, module in layers]  # fmt: skip
    try:
        yield outputs
    finally:
        for handle in handles:
            handle.remove()
