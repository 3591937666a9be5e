"""Models used by more than one chapter, and a parameter counter.

``LeNet5`` is built in chapter 7 and timed in the benchmarks; ``VGGStyleNet`` is built in
chapter 6 and reused for transfer learning (chapter 8) and class activation maps (chapter 9).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F


@dataclass(frozen=True)
class ParameterCount:
    """Total and trainable parameter counts, and one row per layer that owns parameters."""

    total: int
    trainable: int
    rows: list[tuple[str, str, int]]  # (layer name, layer type, parameters)

    def table(self) -> str:
        """The per-layer rows and the total, as aligned text."""
        width = max([len(name) for name, _, _ in self.rows] + [5])
        lines = [f"{'layer':<{width}}  {'type':<18} {'parameters':>12}"]
        lines += [f"{name:<{width}}  {kind:<18} {count:>12,}" for name, kind, count in self.rows]
        lines.append(f"{'total':<{width}}  {'':<18} {self.total:>12,}")
        return "\n".join(lines)


def count_parameters(model: nn.Module) -> ParameterCount:
    """Count the parameters of ``model``, in total and per layer.

    >>> count = count_parameters(nn.Linear(784, 10))
    >>> count.total, count.rows
    (7850, [('', 'Linear', 7850)])
    """
    rows = []
    for name, module in model.named_modules():
        own = sum(p.numel() for p in module.parameters(recurse=False))
        if own:
            rows.append((name, type(module).__name__, own))
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return ParameterCount(total=total, trainable=trainable, rows=rows)


class LeNet5(nn.Module):
    """LeNet-5 (LeCun et al., 1998) for 28x28 grey images, padded to the original 32x32.

    C1 6@5x5 -> S2 pool -> C3 16@5x5 -> S4 pool -> C5 120@5x5 -> F6 84 -> 10 outputs, with
    full C3 connectivity (61,706 parameters). ``modern=True`` swaps tanh and average pooling
    for ReLU and max pooling, keeping every shape and parameter.

    >>> LeNet5()(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    """

    def __init__(self, num_classes: int = 10, *, modern: bool = False) -> None:
        super().__init__()
        activation = nn.ReLU if modern else nn.Tanh
        pool = nn.MaxPool2d if modern else nn.AvgPool2d
        self.modern = modern
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5),
            activation(),
            pool(2),  # C1, S2: 28 -> 14
            nn.Conv2d(6, 16, kernel_size=5),
            activation(),
            pool(2),  # C3, S4: 10 -> 5
            nn.Conv2d(16, 120, kernel_size=5),
            activation(),  # C5: 5x5 map -> 1x1
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(120, 84), activation(), nn.Linear(84, num_classes)
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if images.shape[-2:] == (28, 28):
            images = F.pad(images, (2, 2, 2, 2))  # 28x28 -> 32x32, as in the paper
        return self.classifier(self.features(images))


def conv_bn_relu(in_channels: int, out_channels: int) -> nn.Sequential:
    """3x3 convolution (no bias: BN's shift replaces it) + batch norm + ReLU."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class VGGStyleNet(nn.Module):
    """A small VGG-style CNN: blocks of two 3x3 conv+BN+ReLU, 2x2 max pooling between
    blocks, global average pooling and one linear layer.

    ``features`` maps an image to the last convolutional feature maps (64x7x7 for a 28x28
    input with the default widths), ``pool`` averages each map to one number, and
    ``classifier`` turns those numbers into class scores: the structure that class
    activation maps need.

    >>> model = VGGStyleNet()
    >>> model(torch.zeros(2, 1, 28, 28)).shape, model.features(torch.zeros(1, 1, 28, 28)).shape
    (torch.Size([2, 10]), torch.Size([1, 64, 7, 7]))
    """

    def __init__(
        self, num_classes: int = 10, *, in_channels: int = 1, widths: tuple[int, ...] = (16, 32, 64)
    ) -> None:
        super().__init__()
        if not widths:
            raise ValueError("widths needs at least one block width")
        layers: list[nn.Module] = []
        channels = in_channels
        for index, width in enumerate(widths):
            if index > 0:
                layers.append(nn.MaxPool2d(2))
            layers += [conv_bn_relu(channels, width), conv_bn_relu(width, width)]
            channels = width
        self.features = nn.Sequential(*layers)
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.classifier = nn.Linear(channels, num_classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pool(self.features(images)))
