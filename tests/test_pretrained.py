"""The course backbone of chapter 9: its script, and the committed checkpoint
it made.

- the source and target tasks share no class, and ``select_classes`` relabels
in order;
- the committed checkpoint loads into a ``VGGStyleNet`` and still reaches its
recorded
  source-task validation accuracy;
- the script trains with the validation images and evaluates the test set
exactly once, on the
  final model (a run on a small made-up data set, offline, in a second or two).
"""

from __future__ import annotations

from types import SimpleNamespace

import pretrain_course_backbone as script
import pytest
import torch

from utils import (
    TensorBatches,
    VGGStyleNet,
    evaluate,
    load_checkpoint,
    load_fashion_mnist,
    to_float_images,
)


def test_source_and_target_tasks_share_no_class():
    assert not set(script.SOURCE_CLASSES) & set(script.TARGET_CLASSES)
    assert sorted(script.SOURCE_CLASSES + script.TARGET_CLASSES) == list(
        range(10)
    )


def test_select_classes_keeps_and_relabels_in_the_given_order():
    images = torch.arange(6).view(6, 1, 1).expand(6, 2, 2)
    kept, labels = script.select_classes(
        images, torch.tensor([9, 2, 4, 2, 0, 7]), script.TARGET_CLASSES
    )
    assert kept[:, 0, 0].tolist() == [0, 1, 2, 3, 5]
    assert labels.tolist() == [4, 0, 1, 0, 3]
    with pytest.raises(ValueError, match="distinct"):
        script.select_classes(images, torch.zeros(6).long(), (1, 1))
    with pytest.raises(ValueError, match="non-empty"):
        script.select_classes(images, torch.zeros(6).long(), ())


def test_committed_backbone_reaches_its_recorded_validation_accuracy():
    assert script.CHECKPOINT.stat().st_size <= 5 * 2**20, (
        "checkpoints must stay under 5 MB"
    )
    saved = torch.load(
        script.CHECKPOINT, map_location="cpu", weights_only=True
    )
    widths = tuple(saved["metadata"]["widths"])
    model = VGGStyleNet(num_classes=len(script.SOURCE_CLASSES), widths=widths)
    metadata = load_checkpoint(script.CHECKPOINT, model)
    assert tuple(metadata["source_classes"]) == script.SOURCE_CLASSES
    assert tuple(metadata["target_classes"]) == script.TARGET_CLASSES
    assert widths == script.WIDTHS
    assert {"epochs", "seed", "source_test_accuracy"} <= set(metadata)
    data = load_fashion_mnist()
    images, labels = script.select_classes(
        to_float_images(data.val_images),
        data.val_labels,
        script.SOURCE_CLASSES,
    )
    assert len(images) == metadata["source_val_images"] == 2500
    _, accuracy = evaluate(
        model, TensorBatches(images, labels, batch_size=500)
    )
    # other CPUs and GPUs change the last digits of the logits, which flips a
    # handful of images
    assert accuracy == pytest.approx(
        metadata["source_val_accuracy"], abs=0.003
    )
    assert accuracy > 0.9


def tiny_fashion_mnist(
    per_class: tuple[int, int, int] = (8, 3, 4),
) -> SimpleNamespace:
    """What ``load_fashion_mnist`` returns, made up: ``per_class``
    train/val/test images of each of the ten classes, random 28x28 ``uint8``
    pixels."""
    generator, splits = torch.Generator().manual_seed(0), {}
    for split, count in zip(("train", "val", "test"), per_class, strict=True):
        labels = torch.arange(10).repeat_interleave(count)
        splits[f"{split}_images"] = torch.randint(
            0, 256, (len(labels), 28, 28), generator=generator
        ).to(torch.uint8)
        splits[f"{split}_labels"] = labels
    return SimpleNamespace(**splits)


def test_script_validates_on_val_and_looks_at_the_test_set_once(
    monkeypatch, tmp_path
):
    data = tiny_fashion_mnist()
    monkeypatch.setattr(script, "load_fashion_mnist", lambda: data)
    fit_val_sizes, evaluated_sizes = [], []
    real_fit, real_evaluate = script.fit, script.evaluate

    def recording_fit(model, train, val, **options):
        fit_val_sizes.append(len(val.images))
        return real_fit(model, train, val, **options)

    def recording_evaluate(model, batches, *args):
        evaluated_sizes.append(len(batches.images))
        return real_evaluate(model, batches, *args)

    monkeypatch.setattr(script, "fit", recording_fit)
    monkeypatch.setattr(script, "evaluate", recording_evaluate)
    monkeypatch.setenv("CNN_COURSE_PROGRESS", "0")
    path = script.main(
        ["--epochs", "1", "--out", str(tmp_path / "backbone.pt")]
    )

    source = len(script.SOURCE_CLASSES)
    assert fit_val_sizes == [3 * source], (
        "fit reports the source classes' validation images"
    )
    assert evaluated_sizes == [4 * source], (
        "the script evaluates the test set once"
    )
    model = VGGStyleNet(num_classes=source, widths=script.WIDTHS)
    metadata = load_checkpoint(path, model)
    assert (
        metadata["train_images"] == 8 * source
        and metadata["source_test_images"] == 4 * source
    )
    assert metadata["source_classes"] == list(script.SOURCE_CLASSES)
    assert (
        metadata["widths"] == list(script.WIDTHS) and metadata["epochs"] == 1
    )
    assert (
        0 <= metadata["source_val_accuracy"] <= 1
        and 0 <= metadata["source_test_accuracy"] <= 1
    )
    test_images, test_labels = script.select_classes(
        to_float_images(data.test_images),
        data.test_labels,
        script.SOURCE_CLASSES,
    )
    _, test_accuracy = real_evaluate(
        model, TensorBatches(test_images, test_labels)
    )
    assert metadata["source_test_accuracy"] == pytest.approx(
        test_accuracy, abs=1e-4
    )
