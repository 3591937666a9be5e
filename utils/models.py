"""Models that several chapters share, and parameter counting."""

from __future__ import annotations

import torch
from torch import nn


def count_parameters(model: nn.Module, *, trainable_only: bool = False) -> int:
    """The number of parameters of ``model`` (only those with ``requires_grad`` if asked).

    >>> count_parameters(nn.Linear(784, 10))
    7850
    """
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def parameter_table(model: nn.Module) -> str:
    """One row per layer that owns parameters, and the total, as aligned text.

    >>> print(parameter_table(nn.Sequential(nn.Linear(4, 2), nn.ReLU(), nn.Linear(2, 1))))
    layer  type    parameters
    0      Linear          10
    2      Linear           3
    total                  13
    """
    rows = [(name or "(model)", type(module).__name__, own)
            for name, module in model.named_modules()
            if (own := sum(p.numel() for p in module.parameters(recurse=False)))]  # fmt: skip
    name_width = max([len(name) for name, _, _ in rows] + [5])
    kind_width = max([len(kind) for _, kind, _ in rows] + [4])
    lines = [f"{'layer':<{name_width}}  {'type':<{kind_width}}  {'parameters':>10}"]
    lines += [f"{name:<{name_width}}  {kind:<{kind_width}}  {count:>10,}" for name, kind, count in rows]
    total = f"{'total':<{name_width}}  {'':<{kind_width}}  {count_parameters(model):>10,}"
    return "\n".join([*lines, total])


def conv_bn_relu(in_channels: int, out_channels: int) -> nn.Sequential:
    """3x3 convolution (no bias: batch norm's shift replaces it), batch norm, ReLU."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class VGGStyleNet(nn.Module):
    """Chapter 8's network: blocks of two 3x3 conv+BN+ReLU with 2x2 max pooling between
    blocks, then global average pooling and one linear layer. ``features`` gives the last
    feature maps (64x7x7 for a 28x28 input), the structure class activation maps need.

    >>> model = VGGStyleNet()
    >>> count_parameters(model), tuple(model.features(torch.zeros(1, 1, 28, 28)).shape)
    (72666, (1, 64, 7, 7))
    """

    def __init__(self, num_classes: int = 10, *, in_channels: int = 1,
                 widths: tuple[int, ...] = (16, 32, 64)) -> None:  # fmt: skip
        super().__init__()
        if not widths:
            raise ValueError("widths needs at least one block width, e.g. (16, 32, 64)")
        layers: list[nn.Module] = []
        for index, width in enumerate(widths):
            layers += [nn.MaxPool2d(2)] if index else []
            layers += [conv_bn_relu(in_channels, width), conv_bn_relu(width, width)]
            in_channels = width
        self.features = nn.Sequential(*layers)
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.classifier = nn.Linear(in_channels, num_classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pool(self.features(images)))
