"""Mini-batches from in-memory tensors, and the augmentation applied to
them (chapter 1)."""

from collections.abc import Callable, Iterator
from types import SimpleNamespace

import torch
from torch.nn import functional as F

from utils.data import to_float_images
from utils.device import get_device


class TensorBatches:
    """Batches ``(images, labels)`` indexed from tensors on ``device``; with
    ``shuffle``, pass k is the same seeded permutation in every run;
    ``transform`` (:func:`random_shift`) augments.

    >>> images, labels = torch.rand(10, 1, 2, 2), torch.arange(10)
    >>> [len(y) for _, y in TensorBatches(images, labels, batch_size=4)]
    [4, 4, 2]
    """

    def __init__(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        *,
        batch_size: int = 128,
        shuffle: bool = False,
        seed: int = 0,
        device: torch.device | str = "cpu",
        transform: Callable[[torch.Tensor, torch.Generator], torch.Tensor]
        | None = None,
    ) -> None:
        if (
            len(images) == 0
            or len(images) != len(labels)
            or not images.is_floating_point()
        ):
            raise ValueError(
                f"need float images (to_float_images), one label each: got "
                f"{len(images)} {images.dtype} images, {len(labels)} labels"
            )
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(
                f"batch_size must be a positive int, got {batch_size!r}"
            )
        self.device = torch.device(device)
        self.images = images.to(self.device)
        self.labels = labels.to(self.device)
        self.batch_size, self.shuffle = batch_size, shuffle
        self.transform = transform
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return -(-len(self.images) // self.batch_size)  # ceiling division

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = len(self.images)
        order = (
            torch.randperm(n, generator=self.generator)
            if self.shuffle
            else torch.arange(n)
        )
        for start in range(0, n, self.batch_size):
            index = order[start : start + self.batch_size].to(self.device)
            images = self.images[index]
            if self.transform is not None:
                images = self.transform(images, self.generator)
            yield images, self.labels[index]


def random_shift(
    images: torch.Tensor,
    generator: torch.Generator,
    max_shift: int = 2,
    flip: bool = False,
) -> torch.Tensor:
    """Shift each image by up to ``max_shift`` pixels each way (zeros fill
    in); with ``flip``, first mirror each left-right with probability 1/2.
    Labels are unchanged.

    >>> generator = torch.Generator().manual_seed(0)
    >>> random_shift(torch.ones(2, 1, 4, 4), generator).shape
    torch.Size([2, 1, 4, 4])
    """
    if images.ndim != 4:
        raise ValueError(
            f"expected a batch (N, C, H, W), got shape {tuple(images.shape)}"
        )
    count, _, h, w = images.shape
    if flip:
        mirror = (torch.rand(count, generator=generator) < 0.5).to(
            images.device
        )
        images = torch.where(
            mirror[:, None, None, None], images.flip(-1), images
        )
    padded = F.pad(images, [max_shift] * 4)
    shifts = torch.randint(
        0, 2 * max_shift + 1, (count, 2), generator=generator
    ).tolist()
    return torch.stack(
        [padded[i, :, y : y + h, x : x + w] for i, (y, x) in enumerate(shifts)]
    )


def batches(
    data: SimpleNamespace,
    split: str,
    *,
    batch_size: int = 1000,
    shuffle: bool = False,
    seed: int = 0,
    device: torch.device | str | None = None,
    transform: Callable[[torch.Tensor, torch.Generator], torch.Tensor]
    | None = None,
) -> TensorBatches:
    """:class:`TensorBatches` of one split (``"train"``, ``"val"``,
    ``"test"``) of :func:`utils.data.load_fashion_mnist`'s ``data``, as
    float images on ``device`` (default :func:`utils.device.get_device`).

    >>> images = torch.zeros(3, 2, 2, dtype=torch.uint8)
    >>> data = SimpleNamespace(val_images=images, val_labels=torch.arange(3))
    >>> [len(y) for _, y in batches(data, "val", batch_size=2, device="cpu")]
    [2, 1]
    """
    images = getattr(data, f"{split}_images", None)
    if images is None:
        raise ValueError(
            f"the data have no split {split!r}: use train, val or test"
        )
    return TensorBatches(
        to_float_images(images),
        getattr(data, f"{split}_labels"),
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        device=get_device() if device is None else device,
        transform=transform,
    )
