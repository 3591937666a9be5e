"""Pretrained backbones for transfer learning (chapter 8): two backbones, one switch.

:func:`load_backbone` returns the convolutional part of a network trained on a *source* task,
ready to be reused on a new *target* task:

- ``"imagenet"``: torchvision's VGG-16 with ``VGG16_Weights.IMAGENET1K_V1`` (528 MB, found in
  the torch hub cache under ``$TORCH_HOME`` or downloaded once);
- ``"course"``: a :class:`utils.VGGStyleNet` that ``scripts/pretrain_course_backbone.py``
  pretrained on Fashion-MNIST's :data:`SOURCE_CLASSES`; its 0.3 MB checkpoint ships with the
  course, so it works offline;
- ``"auto"`` (the default, or ``$CNN_COURSE_BACKBONE``): on a GPU, ImageNet weights when they
  can be obtained, else the course backbone; on a CPU, the course backbone (VGG-16 costs about
  1.25 billion multiply-adds per 64x64 image, hours for chapter 8's trainings on a laptop).
  A message says which backbone and why.

The target task of chapter 8 is Fashion-MNIST's :data:`TARGET_CLASSES`: no class (and so no
image) is shared with the source task.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from utils.checkpoints import CHECKPOINT_DIR, load_checkpoint
from utils.device import get_device
from utils.models import VGGStyleNet, count_parameters

SOURCE_CLASSES = (0, 1, 3, 5, 8)
"""Fashion-MNIST classes the course backbone is pretrained on: T-shirt/top, Trouser, Dress,
Sandal, Bag."""

TARGET_CLASSES = (2, 4, 6, 7, 9)
"""Fashion-MNIST classes of chapter 8's few-shot target task: Pullover, Coat, Shirt, Sneaker,
Ankle boot (disjoint from :data:`SOURCE_CLASSES`)."""

COURSE_CHECKPOINT = CHECKPOINT_DIR / "course_backbone.pt"
"""The committed course backbone, made by ``scripts/pretrain_course_backbone.py``."""

BACKBONE_ENV = "CNN_COURSE_BACKBONE"
"""Environment variable read when ``kind`` is not given: ``auto``, ``imagenet`` or ``course``."""

KINDS = ("auto", "imagenet", "course")
IMAGENET_SIZE = 64
"""Side length Fashion-MNIST images are resized to for VGG-16: smaller than ImageNet's 224 to
stay affordable, and still above VGG-16's minimum of 32."""
NETWORK_TIMEOUT_S = 20.0


@dataclass
class Backbone:
    """The convolutional part of a network, and what is needed to reuse it.

    ``features`` maps a batch prepared by ``prepare`` to feature maps with ``feature_dim``
    channels; ``features[top_start:]`` is its last block (the part fine-tuning unfreezes).
    ``prepare`` turns Fashion-MNIST batches ``(N, 1, 28, 28)`` in [0, 1] into the input size and
    scaling the backbone was trained with.

    >>> backbone = load_backbone("course", verbose=False)
    >>> backbone.kind, backbone.feature_dim, backbone.top_start
    ('course', 64, 6)
    >>> backbone.features(backbone.prepare(torch.zeros(2, 1, 28, 28))).shape
    torch.Size([2, 64, 7, 7])
    """

    kind: str
    features: nn.Sequential
    feature_dim: int
    top_start: int
    prepare: Callable[[torch.Tensor], torch.Tensor]
    pretrained: bool
    description: str
    metadata: dict[str, Any] = field(default_factory=dict)

    def split(self) -> tuple[nn.Sequential, nn.Sequential]:
        """``(bottom, top)``: the blocks fine-tuning keeps frozen, and the last block.

        >>> bottom, top = load_backbone("course", pretrained=False, verbose=False).split()
        >>> len(bottom), len(top)
        (6, 2)
        """
        return self.features[: self.top_start], self.features[self.top_start :]


def prepare_grey(images: torch.Tensor) -> torch.Tensor:
    """The course backbone's input: grey 28x28 images in [0, 1], unchanged (checked).

    >>> prepare_grey(torch.zeros(3, 1, 28, 28)).shape
    torch.Size([3, 1, 28, 28])
    """
    if images.ndim != 4 or images.shape[1] != 1:
        raise ValueError(f"expected grey images (N, 1, H, W), got shape {tuple(images.shape)}")
    return images


def prepare_imagenet(images: torch.Tensor, size: int = IMAGENET_SIZE) -> torch.Tensor:
    """VGG-16's input: grey images in [0, 1] -> 3 equal channels, ``size`` x ``size`` pixels,
    standardized with ImageNet's per-channel mean and standard deviation.

    >>> batch = prepare_imagenet(torch.zeros(2, 1, 28, 28))
    >>> batch.shape, round(batch[0, 0, 0, 0].item(), 3)  # (0 - 0.485) / 0.229
    (torch.Size([2, 3, 64, 64]), -2.118)
    """
    images = prepare_grey(images)
    from torchvision.models import VGG16_Weights

    preset = VGG16_Weights.IMAGENET1K_V1.transforms()  # the numbers the weights were trained with
    mean = torch.tensor(preset.mean, device=images.device).view(1, 3, 1, 1)
    std = torch.tensor(preset.std, device=images.device).view(1, 3, 1, 1)
    images = F.interpolate(
        images, size=(size, size), mode="bilinear", antialias=True, align_corners=False
    )
    return (images.expand(-1, 3, -1, -1) - mean) / std


def select_classes(
    images: torch.Tensor, labels: torch.Tensor, classes: tuple[int, ...]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Keep the examples whose label is in ``classes``; relabel them 0..len(classes)-1 in the
    order of ``classes``.

    >>> images, labels = select_classes(torch.zeros(6, 28, 28), torch.tensor([5, 2, 0, 2, 9, 5]),
    ...                                 (2, 5))
    >>> images.shape[0], labels.tolist()
    (4, [1, 0, 0, 1])
    """
    if len(set(classes)) != len(classes) or not classes:
        raise ValueError(f"classes must be distinct and non-empty, got {classes}")
    lookup = torch.full((int(max(int(labels.max()), max(classes))) + 1,), -1, dtype=torch.long)
    lookup[list(classes)] = torch.arange(len(classes))
    new_labels = lookup[labels.long()]
    keep = new_labels >= 0
    return images[keep], new_labels[keep]


def load_course_model(path: str | Path = COURSE_CHECKPOINT) -> tuple[VGGStyleNet, dict[str, Any]]:
    """The course backbone's whole network (features and source-task classifier) and the
    metadata saved with it: source classes, epochs, seed, source-task test accuracy.

    >>> model, metadata = load_course_model()
    >>> tuple(metadata["source_classes"]), model.classifier.out_features
    ((0, 1, 3, 5, 8), 5)
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"the course backbone {path} is missing; make it with "
            "`python scripts/pretrain_course_backbone.py` (about a minute on a CPU)"
        )
    saved = torch.load(path, map_location="cpu", weights_only=True)
    metadata = saved.get("metadata", {}) if isinstance(saved, dict) else {}
    if "source_classes" not in metadata or "widths" not in metadata:
        raise ValueError(f"{path} is not a course backbone (no source_classes/widths metadata)")
    model = VGGStyleNet(
        num_classes=len(metadata["source_classes"]), widths=tuple(metadata["widths"])
    )
    return model, load_checkpoint(path, model)


def course_backbone(*, pretrained: bool = True, path: str | Path = COURSE_CHECKPOINT) -> Backbone:
    """The course backbone: the ``features`` of a :class:`utils.VGGStyleNet`, pretrained on
    :data:`SOURCE_CLASSES` (or freshly initialized with ``pretrained=False``).

    >>> course_backbone(pretrained=False).description
    'course: VGGStyleNet features, 72,016 parameters, random initialization'
    """
    if pretrained:
        model, metadata = load_course_model(path)
        trained_on = (
            f"pretrained on Fashion-MNIST classes {list(metadata['source_classes'])} for "
            f"{metadata['epochs']} epochs (source-task test accuracy "
            f"{metadata['source_test_accuracy']:.1%})"
        )
    else:
        model, metadata, trained_on = VGGStyleNet(), {}, "random initialization"
    size = count_parameters(model.features).total
    return Backbone(
        kind="course",
        features=model.features,
        feature_dim=model.classifier.in_features,
        top_start=len(model.features) - 2,
        prepare=prepare_grey,
        pretrained=pretrained,
        description=f"course: VGGStyleNet features, {size:,} parameters, {trained_on}",
        metadata=metadata,
    )


@contextmanager
def network_timeout(seconds: float = NETWORK_TIMEOUT_S) -> Iterator[None]:
    """Give every new socket a timeout while the block runs, so that a machine whose network
    silently drops packets fails in seconds instead of hanging for minutes."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def imagenet_weights_path() -> Path:
    """Where torchvision keeps VGG-16's ImageNet weights: ``<torch hub dir>/checkpoints/``
    (``$TORCH_HOME/hub`` or ``~/.cache/torch/hub``), under the file name of the weights' URL.

    >>> imagenet_weights_path().name
    'vgg16-397923af.pth'
    """
    from torchvision.models import VGG16_Weights

    file_name = VGG16_Weights.IMAGENET1K_V1.url.rsplit("/", 1)[-1]
    return Path(torch.hub.get_dir()) / "checkpoints" / file_name


def imagenet_backbone(*, pretrained: bool = True, progress: bool = False) -> Backbone:
    """torchvision's VGG-16 ``features`` with ImageNet weights (or random ones).

    Does what ``vgg16(weights=VGG16_Weights.IMAGENET1K_V1)`` does, in two steps so that a
    machine without the weights fails before it builds 138 million parameters:
    ``VGG16_Weights.IMAGENET1K_V1.get_state_dict()`` reads the torch hub cache or downloads the
    file (checking its hash), then the state dict goes into ``vgg16(weights=None)``.
    Raises ``RuntimeError`` naming the file to provide when the weights cannot be obtained.
    """
    from torchvision.models import VGG16_Weights, vgg16

    weights = VGG16_Weights.IMAGENET1K_V1
    if not pretrained:
        model = vgg16(weights=None)
        trained_on = "random initialization"
    else:
        try:
            with network_timeout():
                state_dict = weights.get_state_dict(progress=progress, check_hash=True)
        except Exception as error:  # no network, blocked host, bad hash, damaged file, ...
            raise RuntimeError(
                f"VGG-16's ImageNet weights could not be obtained ({type(error).__name__}: "
                f"{error}). Go online once, or copy {weights.url} to {imagenet_weights_path()}."
            ) from error
        model = vgg16(weights=None, init_weights=False)  # no random init: it is overwritten
        model.load_state_dict(state_dict)
        trained_on = "pretrained on ImageNet (IMAGENET1K_V1)"
    size = count_parameters(model.features).total
    return Backbone(
        kind="imagenet",
        features=model.features,
        feature_dim=512,
        top_start=24,  # features[24:] is block 5: conv5_1..conv5_3 and the last max pooling
        prepare=prepare_imagenet,
        pretrained=pretrained,
        description=f"imagenet: torchvision VGG-16 features, {size:,} parameters, {trained_on}",
        metadata=dict(weights.meta) if pretrained else {},
    )


def load_backbone(
    kind: str | None = None, *, pretrained: bool = True, verbose: bool = True
) -> Backbone:
    """Load a backbone for transfer learning: ``"imagenet"``, ``"course"`` or ``"auto"``.

    ``kind=None`` reads ``$CNN_COURSE_BACKBONE`` (default ``"auto"``). ``"auto"`` on a GPU tries
    the ImageNet weights and, when they cannot be obtained (offline, no cached file), says so and
    falls back to the course backbone; on a CPU it takes the course backbone, since VGG-16 would
    make chapter 8 take hours (``"imagenet"`` still forces it). ``pretrained=False`` gives the
    same architecture with random weights (the from-scratch baseline); it needs an explicit kind.

    >>> backbone = load_backbone("course", verbose=False)
    >>> backbone.kind, backbone.pretrained
    ('course', True)
    """
    kind = (kind or os.environ.get(BACKBONE_ENV, "") or "auto").strip().lower()
    if kind not in KINDS:
        raise ValueError(f"backbone kind must be one of {', '.join(KINDS)}; got {kind!r}")
    if kind == "auto" and not pretrained:
        raise ValueError("pretrained=False builds an architecture: name it, 'imagenet' or 'course'")
    if kind == "course":
        backbone = course_backbone(pretrained=pretrained)
    elif kind == "imagenet":
        backbone = imagenet_backbone(pretrained=pretrained)
    elif get_device().type == "cpu":
        if verbose:
            print(
                f"No GPU: using the course backbone (VGG-16 would take hours on a CPU; set "
                f"{BACKBONE_ENV}=imagenet to force it)."
            )
        backbone = course_backbone()
    else:
        try:
            backbone = imagenet_backbone()
        except RuntimeError as error:
            if verbose:
                print(f"{error}\nFalling back to the course backbone, which works offline.")
            backbone = course_backbone()
    if verbose:
        print(f"backbone: {backbone.description}")
    return backbone
