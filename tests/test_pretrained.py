"""The two backbones of chapter 8, checked without network.

- the committed course backbone loads and still reaches its recorded source-task accuracy;
- the "imagenet" path goes through torchvision's weights API: it finds a locally generated
  VGG-16 checkpoint under a temporary ``TORCH_HOME`` by its exact file name;
- a missing download gives a clear message and a fallback to the course backbone.
"""

from __future__ import annotations

import urllib.error

import pytest
import torch
from torch import nn

import utils.pretrained
from utils import TensorBatches, evaluate, load_fashion_mnist, to_float_images
from utils.pretrained import (
    BACKBONE_ENV,
    COURSE_CHECKPOINT,
    SOURCE_CLASSES,
    TARGET_CLASSES,
    imagenet_weights_path,
    load_backbone,
    load_course_model,
    prepare_imagenet,
    select_classes,
)


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """An empty torch hub cache and a download function that fails like a machine offline."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    calls = []

    def no_network(url, *args, **kwargs):
        calls.append(url)
        raise urllib.error.URLError("[Errno -2] Name or service not known")

    monkeypatch.setattr(torch.hub, "download_url_to_file", no_network)
    return calls


@pytest.fixture
def on_a_gpu(monkeypatch):
    """Make "auto" behave as on a GPU machine (where it tries the ImageNet weights)."""
    monkeypatch.setattr(utils.pretrained, "get_device", lambda: torch.device("cuda"))


def test_source_and_target_tasks_share_no_class():
    assert not set(SOURCE_CLASSES) & set(TARGET_CLASSES)
    assert sorted(SOURCE_CLASSES + TARGET_CLASSES) == list(range(10))


def test_committed_course_backbone_reaches_its_recorded_accuracy():
    assert COURSE_CHECKPOINT.stat().st_size <= 5 * 2**20, "checkpoints must stay under 5 MB"
    model, metadata = load_course_model()
    assert tuple(metadata["source_classes"]) == SOURCE_CLASSES
    assert {"epochs", "seed", "source_test_accuracy"} <= set(metadata)
    data = load_fashion_mnist()
    images, labels = select_classes(
        to_float_images(data.test_images), data.test_labels, SOURCE_CLASSES
    )
    assert len(images) == metadata["source_test_images"] == 5000
    _, accuracy = evaluate(model, TensorBatches(images, labels, batch_size=1000))
    # other CPUs and GPUs change the last digits of the logits, which flips a handful of images
    assert accuracy == pytest.approx(metadata["source_test_accuracy"], abs=0.003)


def fake_vgg16_state_dict() -> dict[str, torch.Tensor]:
    """VGG-16's exact keys and shapes, every tensor filled with its own index. Each tensor is a
    stride-0 view of one number, so the file is a few kilobytes instead of 528 MB."""
    from torchvision.models import vgg16

    with torch.device("meta"):  # shapes only: no memory, no random initialization
        shapes = {key: value.shape for key, value in vgg16(weights=None).state_dict().items()}
    return {
        key: torch.full((1,), float(index)).expand(shape)
        for index, (key, shape) in enumerate(shapes.items())
    }


def test_imagenet_path_reads_torchvisions_cached_weights_file(offline, on_a_gpu, capsys):
    path = imagenet_weights_path()
    assert path.name == "vgg16-397923af.pth" and path.parent.name == "checkpoints"
    assert str(path).startswith(str(torch.hub.get_dir()))  # under the temporary TORCH_HOME
    path.parent.mkdir(parents=True)
    fake = fake_vgg16_state_dict()
    torch.save(fake, path)
    assert path.stat().st_size < 100_000

    backbone = load_backbone("auto")
    assert offline == [], "the cached file must be used, not downloaded"
    assert backbone.kind == "imagenet" and backbone.pretrained
    assert "imagenet: torchvision VGG-16 features, 14,714,688 parameters" in capsys.readouterr().out
    loaded = dict(backbone.features.state_dict())
    for key in ("0.weight", "28.bias"):
        assert torch.equal(loaded[key], fake[f"features.{key}"].contiguous())
    bottom, top = backbone.split()
    assert isinstance(top[0], nn.Conv2d) and top[0].in_channels == 512 and len(bottom) == 24
    assert backbone.features(prepare_imagenet(torch.zeros(1, 1, 28, 28))).shape == (1, 512, 2, 2)


def test_missing_download_falls_back_to_the_course_backbone(offline, on_a_gpu, capsys):
    backbone = load_backbone("auto")
    assert offline == ["https://download.pytorch.org/models/vgg16-397923af.pth"]
    assert backbone.kind == "course" and backbone.pretrained
    out = capsys.readouterr().out
    assert "VGG-16's ImageNet weights could not be obtained" in out
    assert "vgg16-397923af.pth" in out and "Falling back to the course backbone" in out
    assert "backbone: course: VGGStyleNet features" in out

    with pytest.raises(RuntimeError, match="could not be obtained.*copy https://"):
        load_backbone("imagenet")


def test_damaged_cached_file_falls_back_too(offline, on_a_gpu, capsys):
    path = imagenet_weights_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a checkpoint")
    assert load_backbone("auto").kind == "course"
    assert "could not be obtained" in capsys.readouterr().out


def test_auto_on_a_cpu_takes_the_course_backbone_without_network(offline, monkeypatch, capsys):
    monkeypatch.setattr(utils.pretrained, "get_device", lambda: torch.device("cpu"))
    path = imagenet_weights_path()
    path.parent.mkdir(parents=True)
    torch.save(fake_vgg16_state_dict(), path)  # even with the weights at hand
    assert load_backbone("auto").kind == "course"
    assert offline == []
    assert "No GPU: using the course backbone" in capsys.readouterr().out


def test_kind_comes_from_the_argument_or_the_environment(offline, monkeypatch):
    monkeypatch.setenv(BACKBONE_ENV, "course")
    assert load_backbone(verbose=False).kind == "course"
    assert offline == [], "an explicit course backbone never touches the network"
    with pytest.raises(ValueError, match="one of auto, imagenet, course"):
        load_backbone("resnet")
    with pytest.raises(ValueError, match="name it"):
        load_backbone("auto", pretrained=False)


def test_scratch_backbones_have_the_same_architecture():
    pretrained = load_backbone("course", verbose=False)
    scratch = load_backbone("course", pretrained=False, verbose=False)
    assert not scratch.pretrained
    shapes = [p.shape for p in pretrained.features.parameters()]
    assert shapes == [p.shape for p in scratch.features.parameters()]
    assert not torch.equal(pretrained.features[0][0].weight, scratch.features[0][0].weight)


def test_select_classes_relabels_in_the_given_order():
    images = torch.arange(6).view(6, 1, 1).expand(6, 2, 2)
    kept, labels = select_classes(images, torch.tensor([9, 2, 4, 2, 0, 7]), TARGET_CLASSES)
    assert kept[:, 0, 0].tolist() == [0, 1, 2, 3, 5]
    assert labels.tolist() == [4, 0, 1, 0, 3]
    with pytest.raises(ValueError, match="distinct"):
        select_classes(images, torch.zeros(6).long(), (1, 1))
