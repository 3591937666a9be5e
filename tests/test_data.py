import gzip
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import write_idx

from utils import TensorBatches, random_flip_and_shift, read_idx, to_float_images
from utils import data as data_module


def test_read_idx_roundtrip(tmp_path):
    images = np.arange(2 * 28 * 28, dtype=np.uint64).reshape(2, 28, 28) % 256
    for gz in (True, False):
        path = write_idx(tmp_path / f"x{gz}", images, gz=gz)
        tensor = read_idx(path)
        assert tensor.dtype == torch.uint8 and tensor.shape == (2, 28, 28)
        assert np.array_equal(tensor.numpy(), images.astype(np.uint8))


def test_folder_reader_checks_counts_and_reads_fixture(idx_folder):
    data = data_module.read_fashion_mnist_folder(idx_folder, check_counts=False)
    assert data.train_images.shape == (12, 28, 28) and data.test_labels.tolist() == [0, 1, 2, 3]
    assert data.train_labels.dtype == torch.int64 and len(data.classes) == 10
    with pytest.raises(ValueError, match="Fashion-MNIST has 60000"):
        data_module.read_fashion_mnist_folder(idx_folder)


def test_missing_file_names_the_three_ways(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        read_idx(tmp_path / "nothing.gz")
    message = str(error.value)
    assert "apt-get install dataset-fashion-mnist" in message
    assert "FASHION_MNIST_DIR" in message and "download" in message


def test_missing_file_in_folder(idx_folder):
    (idx_folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match="lacks t10k-labels-idx1-ubyte"):
        data_module.read_fashion_mnist_folder(idx_folder, check_counts=False)


def test_truncated_file(idx_folder):
    path = idx_folder / "train-images-idx3-ubyte.gz"
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw[:-100]))
    with pytest.raises(ValueError, match="truncated"):
        read_idx(path)


def test_damaged_gzip_stream(idx_folder):
    path = idx_folder / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:50])
    with pytest.raises(ValueError, match="corrupt"):
        read_idx(path)


def test_wrong_magic(tmp_path):
    path = write_idx(tmp_path / "bad.gz", np.zeros((3, 28, 28), np.uint8), magic=1234)
    with pytest.raises(ValueError, match="magic number 1234"):
        read_idx(path)


def test_labels_out_of_range(idx_folder):
    write_idx(idx_folder / "t10k-labels-idx1-ubyte.gz", np.array([0, 1, 2, 42], np.uint8))
    with pytest.raises(ValueError, match="up to 42"):
        data_module.read_fashion_mnist_folder(idx_folder, check_counts=False)


def test_search_order_prefers_cache_then_env(monkeypatch, tmp_path, idx_folder):
    seen = []
    monkeypatch.setattr(data_module, "read_fashion_mnist_folder", lambda f: seen.append(Path(f)))
    monkeypatch.setenv("CNN_COURSE_DATA", str(tmp_path / "cache"))
    monkeypatch.setenv("FASHION_MNIST_DIR", str(idx_folder))
    data_module.load_fashion_mnist(download=False)
    assert seen[-1] == idx_folder  # the cache is empty, so the env folder wins
    cache = tmp_path / "cache" / "FashionMNIST" / "raw"
    cache.mkdir(parents=True)
    (cache / "train-images-idx3-ubyte").write_bytes(b"")
    data_module.load_fashion_mnist(download=False)
    assert seen[-1] == cache


def test_nothing_available_without_download(monkeypatch, tmp_path):
    monkeypatch.setenv("CNN_COURSE_DATA", str(tmp_path / "cache"))
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    monkeypatch.setattr(data_module, "DEBIAN_DIR", tmp_path / "none")
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist"):
        data_module.load_fashion_mnist(download=False)


def test_failed_download_is_a_clear_error(monkeypatch, tmp_path):
    import torchvision.datasets

    def offline(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setenv("CNN_COURSE_DATA", str(tmp_path / "cache"))
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    monkeypatch.setattr(data_module, "DEBIAN_DIR", tmp_path / "none")
    monkeypatch.setattr(torchvision.datasets, "FashionMNIST", offline)
    with pytest.raises(FileNotFoundError, match="download failed .*network unreachable"):
        data_module.load_fashion_mnist()


def test_env_folder_must_exist(monkeypatch, tmp_path):
    monkeypatch.setenv("CNN_COURSE_DATA", str(tmp_path / "cache"))
    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        data_module.load_fashion_mnist(download=False)


@pytest.mark.skipif(
    not data_module.DEBIAN_DIR.is_dir(), reason="dataset-fashion-mnist not installed"
)
def test_real_data_from_debian_package(monkeypatch, tmp_path):
    monkeypatch.setenv("CNN_COURSE_DATA", str(tmp_path / "empty-cache"))
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    data = data_module.load_fashion_mnist(download=False)
    assert data.train_images.shape == (60000, 28, 28) and data.test_images.shape == (10000, 28, 28)
    assert torch.bincount(data.train_labels).tolist() == [6000] * 10
    assert data.classes[0] == "T-shirt/top" and data.classes[9] == "Ankle boot"


def test_to_float_images():
    images = to_float_images(torch.tensor([[[0, 255]]], dtype=torch.uint8))
    assert images.shape == (1, 1, 1, 2) and images.dtype == torch.float32
    assert images.flatten().tolist() == [0.0, 1.0]
    with pytest.raises(ValueError, match="uint8"):
        to_float_images(torch.zeros(1, 2, 2))


def test_batches_cover_every_example_once_and_shuffle_reproducibly():
    images, labels = torch.arange(10.0).view(10, 1, 1, 1), torch.arange(10)

    def epoch_orders(seed):
        batches = TensorBatches(images, labels, batch_size=3, shuffle=True, seed=seed)
        return [torch.cat([y for _, y in batches]).tolist() for _ in range(2)]

    first, second = epoch_orders(0), epoch_orders(0)
    assert first == second  # the same seed gives the same sequence of epochs
    assert first[0] != first[1]  # each epoch is a new permutation
    assert sorted(first[0]) == list(range(10))
    assert len(TensorBatches(images, labels, batch_size=3)) == 4


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(images=torch.zeros(0, 1, 2, 2), labels=torch.zeros(0)), "empty"),
        (dict(images=torch.zeros(3, 1, 2, 2), labels=torch.zeros(2)), "3 images but 2 labels"),
        (dict(images=torch.zeros(3, 1, 2, 2), labels=torch.zeros(3), batch_size=0), "batch_size"),
        (dict(images=torch.zeros(3, 2, 2, dtype=torch.uint8), labels=torch.zeros(3)), "uint8"),
    ],
)
def test_batches_reject_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TensorBatches(**kwargs)


def test_augmentation_keeps_shape_and_content():
    generator = torch.Generator().manual_seed(0)
    images = torch.zeros(16, 1, 28, 28)
    images[:, :, 10:18, 10:18] = 1.0
    augmented = random_flip_and_shift(images, generator, max_shift=2)
    assert augmented.shape == images.shape
    assert torch.equal(augmented.sum(dim=(1, 2, 3)), images.sum(dim=(1, 2, 3)))  # only moved
    batches = TensorBatches(
        images, torch.zeros(16).long(), batch_size=8, transform=random_flip_and_shift
    )
    assert next(iter(batches))[0].shape == (8, 1, 28, 28)
    with pytest.raises(ValueError, match="batch"):
        random_flip_and_shift(torch.zeros(28, 28), generator)
