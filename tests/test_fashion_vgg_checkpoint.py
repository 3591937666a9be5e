"""The committed Fashion-MNIST VGG checkpoint (chapter 12): it records how it
was made, and it still reaches the accuracies it records."""

from __future__ import annotations

import pytest

from utils import (
    CHECKPOINT_DIR,
    VGGStyleNet,
    batches,
    evaluate,
    load_checkpoint,
    load_fashion_mnist,
)

CHECKPOINT = CHECKPOINT_DIR / "fashion_vgg.pt"


def fashion_mnist_or_skip():
    try:
        return load_fashion_mnist()  # offline with Debian's files
    except FileNotFoundError as error:
        pytest.skip(f"Fashion-MNIST is not on this machine: {error}")


def test_checkpoint_records_how_it_was_made():
    metadata = load_checkpoint(CHECKPOINT, VGGStyleNet())
    assert metadata["script"] == "scripts/train_fashion_vgg.py"
    # trained on the training split only: chapter 12 analyses held-out images
    assert metadata["trained_on"] == "train"
    assert metadata["train_images"] == 55_000
    assert metadata["held_out"] == ["val", "test"]
    # the recipe, as chapter 12 describes it
    assert metadata["epochs"] == 4 and metadata["batch_size"] == 128
    assert metadata["optimizer"] == "AdamW(lr=0.002, weight_decay=0.0001)"
    assert metadata["schedule"].startswith("CosineAnnealingLR(T_max=4)")
    assert metadata["seed"] == 0
    per_epoch = metadata["val_accuracy_per_epoch"]
    assert len(per_epoch) == metadata["epochs"]
    assert metadata["val_accuracy"] == per_epoch[-1]
    assert 0.88 <= metadata["val_accuracy"] <= 1.0
    assert 0.88 <= metadata["test_accuracy"] <= 1.0
    assert CHECKPOINT.stat().st_size < 400_000  # small enough for the repo


@pytest.mark.parametrize("split", ["val", "test"])
def test_checkpoint_reaches_its_recorded_accuracy(split):
    data = fashion_mnist_or_skip()
    model = VGGStyleNet()
    metadata = load_checkpoint(CHECKPOINT, model)
    _, accuracy = evaluate(model, batches(data, split, device="cpu"))
    # float rounding differs between CPUs and can flip a few borderline images
    assert accuracy == pytest.approx(metadata[f"{split}_accuracy"], abs=0.002)
