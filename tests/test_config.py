"""Every environment variable the course reads, each read in utils/config.py
and nowhere else (conftest.py checks that no test or doctest changes them
for the tests after it)."""

from pathlib import Path

import pytest

from utils import config


@pytest.fixture
def unset(monkeypatch):
    for name in config.VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_device(unset):
    assert config.device_request() == ""  # get_device chooses
    unset.setenv("CNN_COURSE_DEVICE", " cuda:1 ")
    assert config.device_request() == "cuda:1"


@pytest.mark.parametrize(
    "value, shown", [(None, True), ("1", True), ("0", False), ("0  ", False)]
)
def test_progress(unset, value, shown):
    if value is not None:  # "0  ": what make once passed on
        unset.setenv("CNN_COURSE_PROGRESS", value)
    assert config.show_progress() is shown


def test_data(unset, tmp_path):
    unset.setenv("HOME", str(tmp_path))
    assert config.data_root() == tmp_path / ".cache" / "cnn-course"
    unset.setenv("CNN_COURSE_DATA", str(tmp_path / "data"))
    assert config.data_root() == tmp_path / "data"


def test_fashion_mnist_dir(unset, tmp_path):
    default = Path("/usr/share/datasets/fashion-mnist")
    assert config.fashion_mnist_source() == (default, False)
    unset.setenv("FASHION_MNIST_DIR", str(tmp_path))
    assert config.fashion_mnist_source() == (tmp_path, True)


def test_backbone(unset):
    assert config.backbone_choice() == "course"
    unset.setenv("CNN_COURSE_BACKBONE", "ImageNet")
    assert config.backbone_choice() == "imagenet"
    unset.setenv("CNN_COURSE_BACKBONE", "resnet")
    with pytest.raises(ValueError) as raised:
        config.backbone_choice()
    assert str(raised.value) == (
        "CNN_COURSE_BACKBONE='resnet': use course or imagenet"
    )


def test_stored_outputs_come_from_the_cpu_without_progress_bars(unset):
    stored = {"CNN_COURSE_DEVICE": "cpu", "CNN_COURSE_PROGRESS": "0"}
    assert config.for_stored_outputs() == stored
    unset.setenv("CNN_COURSE_DEVICE", "cuda")  # a check on a GPU machine
    unset.setenv("CNN_COURSE_PROGRESS", "1")
    assert config.for_stored_outputs() == {
        **stored,
        "CNN_COURSE_DEVICE": "cuda",
    }


def test_celeba_dir(unset, tmp_path):
    assert config.celeba_dir() is None  # chapter 13 skips its CelebA run
    unset.setenv("CELEBA_DIR", f" {tmp_path} ")
    assert config.celeba_dir() == tmp_path
