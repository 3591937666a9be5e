"""Models that several chapters share: the VGG-style network, sizes,
activations, weights."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from torch import nn

CHECKPOINT_DIR = Path(__file__).resolve().parent.parent / "checkpoints"


def count_parameters(model: nn.Module) -> int:
    """The number of parameters of ``model``.

    >>> count_parameters(nn.Linear(784, 10))
    7850
    """
    return sum(p.numel() for p in model.parameters())


def parameter_table(model: nn.Module) -> str:
    """One row per layer that owns parameters, then the total.

    >>> print(parameter_table(nn.Sequential(nn.ReLU(), nn.Linear(4, 2))))
    layer  type    parameters
    1      Linear          10
    total                  10
    """
    rows = [
        (name or "(model)", type(module).__name__, f"{own:,}")
        for name, module in model.named_modules()
        if (own := sum(p.numel() for p in module.parameters(recurse=False)))
    ]
    rows = [
        ("layer", "type", "parameters"),
        *rows,
        ("total", "", f"{count_parameters(model):,}"),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(
        f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:>{widths[2]}}"
        for a, b, c in rows
    )


class VGGStyleNet(nn.Module):
    """Chapter 8's network: blocks of two 3x3 conv + batch norm + ReLU, 2x2
    max pooling between blocks, global average pooling, a linear layer;
    ``features`` ends in the maps (64x7x7 for 28x28 images) that class
    activation maps need.

    >>> net = VGGStyleNet()
    >>> count_parameters(net), net.features(torch.zeros(1, 1, 28, 28)).shape
    (72666, torch.Size([1, 64, 7, 7]))
    """

    def __init__(
        self,
        num_classes: int = 10,
        *,
        in_channels: int = 1,
        widths: tuple[int, ...] = (16, 32, 64),
    ) -> None:
        super().__init__()
        if not widths:
            raise ValueError(
                "widths needs at least one block width, e.g. (16, 32, 64)"
            )
        layers: list[nn.Module] = []
        for index, width in enumerate(widths):
            layers += [nn.MaxPool2d(2)] if index else []
            for channels in (in_channels, width):
                # no bias: batch norm's shift replaces it
                layers += [
                    nn.Sequential(
                        nn.Conv2d(channels, width, 3, padding=1, bias=False),
                        nn.BatchNorm2d(width),
                        nn.ReLU(inplace=True),
                    )
                ]
            in_channels = width
        self.features = nn.Sequential(*layers)
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.classifier = nn.Linear(in_channels, num_classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pool(self.features(images)))


def save_checkpoint(
    path: str | Path, model: nn.Module, **metadata: Any
) -> Path:
    """Save the weights and ``metadata`` atomically (a temporary file, then
    a rename); :func:`load_checkpoint` reads them back.

    >>> import tempfile; path = Path(tempfile.mkdtemp()) / "model.pt"
    >>> saved = save_checkpoint(path, nn.Linear(2, 1), seed=0)
    >>> load_checkpoint(saved, nn.Linear(2, 1))
    {'seed': 0}
    """
    path, partial = Path(path), Path(path).with_suffix(".partial")
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": state, "metadata": metadata}, partial)
    os.replace(partial, path)  # a crash never leaves a half-written checkpoint
    return path


def load_checkpoint(path: str | Path, model: nn.Module) -> dict[str, Any]:
    """Load weights saved by :func:`save_checkpoint` into ``model``; return
    the metadata (example: :func:`save_checkpoint`)."""
    if not Path(path).is_file():
        raise FileNotFoundError(
            f"checkpoint {path} does not exist; make it with the script "
            f"named in {CHECKPOINT_DIR / 'README.md'}"
        )
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
        model.load_state_dict(saved["state_dict"])
    except Exception as error:  # not torch's, not a checkpoint, not the model
        raise ValueError(
            f"{path} is not a checkpoint of this {type(model).__name__}: "
            f"{type(error).__name__}: {error}"
        ) from error
    return dict(saved.get("metadata", {}))


@contextmanager
def capture_activations(
    model: nn.Module, layer_types: tuple[type[nn.Module], ...] = (nn.Conv2d,)
) -> Iterator[dict[str, torch.Tensor]]:
    """While the ``with`` block runs, map each layer of ``layer_types`` (by
    its name in ``model``) to its detached output; the hooks are removed on
    exit, even after an error.

    >>> model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Conv2d(4, 8, 3))
    >>> with capture_activations(model) as maps:
    ...     _ = model(torch.zeros(1, 1, 10, 10))
    >>> {name: tuple(output.shape) for name, output in maps.items()}
    {'0': (1, 4, 8, 8), '1': (1, 8, 6, 6)}
    """
    outputs: dict[str, torch.Tensor] = {}
    layers = [
        (name, m)
        for name, m in model.named_modules()
        if isinstance(m, layer_types)
    ]
    if not layers:
        raise ValueError(
            f"the model has no layer of type {layer_types} to capture"
        )
    # name=name gives each hook its own layer's name (a plain closure would
    # see the last one)
    handles = [
        module.register_forward_hook(
            lambda m, inputs, output, name=name: outputs.update(
                {name: output.detach()}
            )
        )
        for name, module in layers
    ]
    try:
        yield outputs
    finally:
        for handle in handles:
            handle.remove()
