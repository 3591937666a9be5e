"""Mini-batches from tensors, the split helper and the augmentation."""

from types import SimpleNamespace

import pytest
import torch

from utils import TensorBatches, batches, random_shift


def numbered(count=10):
    """Images whose single pixel holds their index, so that a batch tells
    which examples it has."""
    return torch.arange(float(count)).view(count, 1, 1, 1), torch.arange(count)


def test_each_pass_visits_every_example_once_in_a_seeded_order():
    images, labels = numbered()
    batches = TensorBatches(images, labels, batch_size=3, shuffle=True, seed=5)
    passes = [torch.cat([y for _, y in batches]).tolist() for _ in range(3)]
    assert all(sorted(p) == list(range(10)) for p in passes)
    assert passes[0] != passes[1]  # a new permutation every pass
    again = TensorBatches(images, labels, batch_size=3, shuffle=True, seed=5)
    assert [
        torch.cat([y for _, y in again]).tolist() for _ in range(3)
    ] == passes
    for x, y in batches:  # images travel with their labels
        assert x.flatten().long().tolist() == y.tolist()
    assert [len(y) for _, y in batches] == [3, 3, 3, 1] and len(batches) == 4


def test_without_shuffle_the_order_is_the_data_order():
    images, labels = numbered(5)
    batches = TensorBatches(images, labels, batch_size=2)
    assert [y.tolist() for _, y in batches] == [[0, 1], [2, 3], [4]]
    assert batches.device == torch.device("cpu")


def test_transform_is_applied_to_every_batch_with_the_batches_generator():
    images, labels = numbered(4)
    seen = []

    def double(batch, generator):
        seen.append(generator)
        return batch * 2

    batches = TensorBatches(images, labels, batch_size=2, transform=double)
    assert torch.cat([x for x, _ in batches]).flatten().tolist() == [
        0,
        2,
        4,
        6,
    ]
    assert seen == [batches.generator] * 2


@pytest.mark.parametrize(
    "images, labels, options, message",
    [
        (torch.zeros(0, 1, 2, 2), torch.zeros(0), {}, "one label each"),
        (
            torch.zeros(3, 1, 2, 2),
            torch.zeros(2),
            {},
            "3 torch.float32 images, 2 labels",
        ),
        (
            torch.zeros(3, 2, 2, dtype=torch.uint8),
            torch.zeros(3),
            {},
            "to_float_images",
        ),
        (
            torch.zeros(3, 1, 2, 2),
            torch.zeros(3),
            {"batch_size": 0},
            "positive int, got 0",
        ),
        (
            torch.zeros(3, 1, 2, 2),
            torch.zeros(3),
            {"batch_size": 2.0},
            "positive int, got 2.0",
        ),
    ],
)
def test_bad_arguments_are_clear_errors(images, labels, options, message):
    with pytest.raises(ValueError, match=message):
        TensorBatches(images, labels, **options)


def test_random_shift_moves_content_by_at_most_max_shift():
    image = torch.zeros(1, 1, 9, 9)
    image[0, 0, 4, 4] = 1.0  # one bright pixel in the middle
    batch = image.repeat(200, 1, 1, 1)
    shifted = random_shift(
        batch, torch.Generator().manual_seed(0), max_shift=2
    )
    rows, cols = (
        shifted[:, 0].sum(2).argmax(1) - 4,
        shifted[:, 0].sum(1).argmax(1) - 4,
    )
    # only moved: nothing falls off a 2-pixel shift here
    assert shifted.sum().item() == 200
    # every shift occurs
    assert set(rows.tolist()) == set(cols.tolist()) == {-2, -1, 0, 1, 2}
    assert not torch.equal(shifted, batch)


def test_random_shift_fills_with_zeros_and_flip_mirrors_about_half():
    batch = torch.zeros(400, 1, 4, 4)
    batch[:, 0, :, 0] = 1.0  # a bright left column
    flipped = random_shift(
        batch, torch.Generator().manual_seed(1), max_shift=0, flip=True
    )
    right = flipped[:, 0, :, 3].sum(1) == 4
    assert torch.equal(
        flipped[right, 0, :, 0], torch.zeros(int(right.sum()), 4)
    )
    # each image mirrored with probability 1/2
    assert 160 < int(right.sum()) < 240
    assert torch.equal(
        random_shift(batch, torch.Generator(), max_shift=0), batch
    )
    edge = random_shift(
        torch.ones(50, 1, 3, 3), torch.Generator().manual_seed(2), max_shift=1
    )
    # shifted images lose a border row or column, filled with zeros
    assert edge.sum() < 50 * 9
    with pytest.raises(ValueError, match="expected a batch"):
        random_shift(torch.zeros(3, 3), torch.Generator())


def test_random_shift_defaults_to_two_pixels_and_uses_only_its_generator():
    dots = torch.zeros(400, 1, 9, 9)
    dots[:, 0, 4, 4] = 1.0
    dots[:, 0, 4, 2] = 0.5  # left of the centre: a mirror moves it right

    def shifted(seed):
        torch.manual_seed(seed)  # the global generator must not matter
        return random_shift(dots, torch.Generator().manual_seed(0), flip=True)

    first, second = shifted(1), shifted(2)
    assert torch.equal(first, second)
    bright = (first == 1.0).nonzero()
    rows, cols = bright[:, 2], bright[:, 3]
    offsets = {-2, -1, 0, 1, 2}
    assert set((rows - 4).tolist()) == set((cols - 4).tolist()) == offsets


def splits():
    """Three splits of uint8 images whose pixel holds their label."""
    data = SimpleNamespace()
    for split, count in (("train", 7), ("val", 5), ("test", 3)):
        labels = torch.arange(count)
        images = labels.to(torch.uint8).view(count, 1, 1).repeat(1, 2, 2)
        setattr(data, f"{split}_images", images)
        setattr(data, f"{split}_labels", labels)
    return data


def test_batches_of_a_split_are_float_images_with_their_labels():
    data = splits()
    val = batches(data, "val", batch_size=2, device="cpu")
    assert [y.tolist() for _, y in val] == [[0, 1], [2, 3], [4]]
    images, labels = next(iter(val))
    assert images.shape == (2, 1, 2, 2) and images.dtype == torch.float32
    assert images[1, 0, 0, 0].item() == pytest.approx(1 / 255)
    assert len(batches(data, "test", device="cpu")) == 1  # 1000 by default
    shuffled = batches(data, "train", batch_size=7, shuffle=True, seed=3)
    order = next(iter(shuffled))[1].tolist()
    assert sorted(order) == list(range(7)) and order != list(range(7))
    again = batches(data, "train", batch_size=7, shuffle=True, seed=3)
    assert next(iter(again))[1].tolist() == order
    assert shuffled.device.type in ("cpu", "cuda", "mps")  # get_device()


@pytest.mark.parametrize("split", ["validation", "Train", ""])
def test_batches_of_an_unknown_split_is_a_clear_error(split):
    with pytest.raises(ValueError) as raised:
        batches(splits(), split)
    assert str(raised.value) == (
        f"the data have no split {split!r}: use train, val or test"
    )


def test_defaults_batch_size_and_seed():
    images, labels = numbered(300)
    assert [len(y) for _, y in TensorBatches(images, labels)] == [128, 128, 44]
    single = TensorBatches(images, labels, batch_size=1)  # allowed
    assert len(single) == 300 and len(next(iter(single))[1]) == 1

    def order(**options):
        shuffled = TensorBatches(images, labels, shuffle=True, **options)
        return next(iter(shuffled))[1].tolist()

    assert order() == order(seed=0) != order(seed=1)  # the default seed is 0


def test_batches_passes_its_options_on():
    data = SimpleNamespace(
        train_images=torch.zeros(2500, 2, 2, dtype=torch.uint8),
        train_labels=torch.arange(2500),
    )
    sizes = [len(y) for _, y in batches(data, "train", device="cpu")]
    assert sizes == [1000, 1000, 500]  # 1000 images per batch by default

    def first(**options):
        chosen = batches(data, "train", shuffle=True, device="cpu", **options)
        return next(iter(chosen))[1].tolist()

    assert first() == first(seed=0) != first(seed=3)
    floats = torch.zeros(2500, 1, 2, 2)
    same = TensorBatches(floats, data.train_labels, batch_size=1000, seed=3)
    same.shuffle = True
    assert first(seed=3) == next(iter(same))[1].tolist()
    plus_one = batches(
        data, "train", device="cpu", transform=lambda x, generator: x + 1
    )
    assert next(iter(plus_one))[0].min().item() == 1.0
    on_meta = batches(data, "train", device="meta")  # a device, not a guess
    assert next(iter(on_meta))[0].device.type == "meta"


def test_tensor_batches_live_on_their_device():
    images, labels = numbered(5)
    meta = TensorBatches(images, labels, batch_size=2, device="meta")
    assert [x.device.type for x, _ in meta] == ["meta"] * 3
    assert {y.device.type for _, y in meta} == {"meta"}
