import numpy as np
import pytest
import torch
from conftest import FILES

from utils import data as data_module
from utils import load_fashion_mnist, to_float_images, prepare_fashion_mnist


def test_reads_the_idx_fixture_value_for_value(tiny_fashion):
    data = load_fashion_mnist(val_per_class=1)
    images = np.concatenate([data.train_images.numpy(), data.val_images.numpy()])
    labels = np.concatenate([data.train_labels.numpy(), data.val_labels.numpy()])
    expected = tiny_fashion["train-images-idx3-ubyte"]
    # every training image comes back exactly once, with its own label
    for image, label in zip(images, labels, strict=True):
        matches = np.flatnonzero((expected == image).all(axis=(1, 2)))
        assert len(matches) == 1 and tiny_fashion["train-labels-idx1-ubyte"][matches[0]] == label
    assert len(images) == 30
    assert np.array_equal(data.test_images.numpy(), tiny_fashion["t10k-images-idx3-ubyte"])
    assert data.test_labels.tolist() == list(range(9, -1, -1))
    assert data.train_labels.dtype == data.test_labels.dtype == torch.int64
    assert data.train_images.dtype == torch.uint8 and data.classes[9] == "Ankle boot"


def test_validation_split_is_stratified_disjoint_and_seeded(tiny_fashion):
    data = load_fashion_mnist(val_per_class=2, seed=3)
    assert torch.bincount(data.val_labels, minlength=10).tolist() == [2] * 10
    assert torch.bincount(data.train_labels, minlength=10).tolist() == [1] * 10
    flat = lambda images: {bytes(image.numpy()) for image in images}  # noqa: E731
    assert not flat(data.train_images) & flat(data.val_images)
    again, other = (
        load_fashion_mnist(val_per_class=2, seed=3),
        load_fashion_mnist(val_per_class=2, seed=4),
    )
    assert torch.equal(again.val_images, data.val_images)
    assert not torch.equal(other.val_images, data.val_images)
    with pytest.raises(ValueError, match="class 0 has 3 training images, too few to keep 3"):
        load_fashion_mnist(val_per_class=3)


def test_torchvision_reads_the_same_files_offline(tiny_fashion, tmp_path):
    from torchvision.datasets import FashionMNIST

    root = prepare_fashion_mnist()
    assert root == tmp_path / "cache"
    for name in FILES:  # un-gzipped, complete, and nothing half-written is left
        assert (root / "FashionMNIST" / "raw" / name).is_file()
    assert not list((root / "FashionMNIST" / "raw").glob("*.partial"))
    test = FashionMNIST(root, train=False, download=False)
    assert np.array_equal(test.data.numpy(), tiny_fashion["t10k-images-idx3-ubyte"])
    assert prepare_fashion_mnist() == root  # a second call copies nothing and still works


def test_env_folder_without_the_files_is_an_error_naming_it(tiny_fashion, tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("FASHION_MNIST_DIR", str(empty))
    with pytest.raises(FileNotFoundError, match=f"FASHION_MNIST_DIR={empty} lacks train-images"):
        load_fashion_mnist()


def test_damaged_files_and_a_failed_download_are_clear_errors(tmp_path, monkeypatch):
    import torchvision.datasets

    monkeypatch.setenv("CNN_COURSE_DATA", str(tmp_path / "cache"))
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    monkeypatch.setattr(data_module, "DEBIAN_DIR", tmp_path / "nowhere")

    def offline(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(torchvision.datasets, "FashionMNIST", offline)
    with pytest.raises(
        FileNotFoundError, match="no Fashion-MNIST in .*network unreachable.*apt-get install"
    ):
        load_fashion_mnist()


def test_truncated_file_is_a_clear_error(tiny_fashion, tmp_path, monkeypatch):
    load_fashion_mnist(val_per_class=1)
    raw = tmp_path / "cache" / "FashionMNIST" / "raw" / "t10k-images-idx3-ubyte"
    raw.write_bytes(raw.read_bytes()[:-100])
    with pytest.raises(FileNotFoundError, match="Delete that folder"):
        load_fashion_mnist(val_per_class=1)


@pytest.mark.skipif(
    not data_module.DEBIAN_DIR.is_dir(), reason="dataset-fashion-mnist not installed"
)
def test_real_data_from_the_debian_package(tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_COURSE_DATA", str(tmp_path / "cache"))
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    data = load_fashion_mnist()
    assert torch.bincount(data.val_labels).tolist() == [500] * 10
    assert torch.bincount(data.train_labels).tolist() == [5500] * 10
    assert torch.bincount(data.test_labels).tolist() == [1000] * 10
    assert data.test_images.shape == (10000, 28, 28)


def test_to_float_images():
    images = to_float_images(torch.tensor([[[0, 51, 255]]], dtype=torch.uint8))
    assert images.shape == (1, 1, 1, 3) and images.dtype == torch.float32
    assert images.flatten().tolist() == pytest.approx([0.0, 0.2, 1.0])
    for bad in (torch.zeros(1, 2, 2), torch.zeros(2, 2, dtype=torch.uint8)):
        with pytest.raises(ValueError, match="expected uint8 images"):
            to_float_images(bad)
