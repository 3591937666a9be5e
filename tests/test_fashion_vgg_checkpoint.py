"""The committed Fashion-MNIST VGG checkpoint (chapter 9) loads and keeps its recorded accuracy."""

from __future__ import annotations

import pytest

from utils import (
    CHECKPOINT_DIR,
    TensorBatches,
    VGGStyleNet,
    evaluate,
    load_checkpoint,
    load_fashion_mnist,
    to_float_images,
)

CHECKPOINT = CHECKPOINT_DIR / "fashion_vgg.pt"


def fashion_mnist_or_skip():
    try:
        return load_fashion_mnist(download=False)  # offline: never download in a test
    except FileNotFoundError as error:
        pytest.skip(f"Fashion-MNIST is not on this machine: {error}")


def test_checkpoint_records_how_it_was_made():
    metadata = load_checkpoint(CHECKPOINT, VGGStyleNet())
    assert metadata["script"] == "scripts/train_fashion_vgg.py"
    assert isinstance(metadata["epochs"], int) and metadata["epochs"] >= 1
    assert isinstance(metadata["seed"], int)
    assert 0.88 <= metadata["test_accuracy"] <= 1.0
    assert CHECKPOINT.stat().st_size < 400_000  # small enough to live in the repository


def test_checkpoint_reaches_its_recorded_test_accuracy():
    data = fashion_mnist_or_skip()
    model = VGGStyleNet()
    metadata = load_checkpoint(CHECKPOINT, model)
    test = TensorBatches(to_float_images(data.test_images), data.test_labels, batch_size=1000)
    _, accuracy = evaluate(model, test)
    # float rounding differs between CPUs and can flip a handful of borderline test images
    assert accuracy == pytest.approx(metadata["test_accuracy"], abs=0.002)
