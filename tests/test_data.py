"""Fashion-MNIST from disk: read value for value, split, and never poisoned
by a damaged source (each row of the bad-data table of issue 25)."""

import gzip
import hashlib
import re

import numpy as np
import pytest
import torch

import utils.data
from conftest import FILES, write_idx
from utils import (
    config,
    load_fashion_mnist,
    prepare_fashion_mnist,
    to_float_images,
)


def test_reads_the_idx_fixture_value_for_value(tiny_fashion):
    data = load_fashion_mnist(val_per_class=1)
    images = np.concatenate(
        [data.train_images.numpy(), data.val_images.numpy()]
    )
    labels = np.concatenate(
        [data.train_labels.numpy(), data.val_labels.numpy()]
    )
    expected = tiny_fashion["train-images-idx3-ubyte"]
    # every training image comes back exactly once, with its own label
    for image, label in zip(images, labels, strict=True):
        matches = np.flatnonzero((expected == image).all(axis=(1, 2)))
        assert len(matches) == 1
        assert tiny_fashion["train-labels-idx1-ubyte"][matches[0]] == label
    assert len(images) == 30
    assert np.array_equal(
        data.test_images.numpy(), tiny_fashion["t10k-images-idx3-ubyte"]
    )
    assert data.test_labels.tolist() == list(range(9, -1, -1))
    assert data.train_labels.dtype == data.test_labels.dtype == torch.int64
    assert data.train_images.dtype == torch.uint8
    assert data.classes[9] == "Ankle boot"


def test_validation_split_is_stratified_disjoint_and_seeded(tiny_fashion):
    data = load_fashion_mnist(val_per_class=2, seed=3)
    assert torch.bincount(data.val_labels, minlength=10).tolist() == [2] * 10
    assert torch.bincount(data.train_labels, minlength=10).tolist() == [1] * 10
    flat = lambda images: {bytes(image.numpy()) for image in images}  # noqa: E731
    assert not flat(data.train_images) & flat(data.val_images)
    again = load_fashion_mnist(val_per_class=2, seed=3)
    other = load_fashion_mnist(val_per_class=2, seed=4)
    assert torch.equal(again.val_images, data.val_images)
    assert not torch.equal(other.val_images, data.val_images)
    default = load_fashion_mnist(val_per_class=2)  # the pages rely on seed 0
    zero = load_fashion_mnist(val_per_class=2, seed=0)
    assert torch.equal(default.val_labels, zero.val_labels)
    assert torch.equal(default.val_images, zero.val_images)
    with pytest.raises(ValueError, match="class 0 has 3 training images, too"):
        load_fashion_mnist(val_per_class=3)


def test_torchvision_reads_the_cache_offline(tiny_fashion, tmp_path):
    from torchvision.datasets import FashionMNIST

    root = prepare_fashion_mnist()
    assert root == tmp_path / "cache"
    raw = root / "FashionMNIST" / "raw"
    assert sorted(path.name for path in raw.iterdir()) == sorted(FILES)
    test = FashionMNIST(root, train=False, download=False)
    assert np.array_equal(
        test.data.numpy(), tiny_fashion["t10k-images-idx3-ubyte"]
    )
    assert prepare_fashion_mnist() == root  # a second call: the same cache


def idx_bytes(array: np.ndarray) -> bytes:
    header = (2048 + array.ndim).to_bytes(4, "big")
    header += b"".join(n.to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_source(folder, arrays, *, damage=None) -> None:
    """The fixture's four files (odd ones gzipped), as the tiny_fashion
    fixture writes them, after ``damage(name, payload)`` edits the bytes."""
    for index, (name, array) in enumerate(arrays.items()):
        payload = idx_bytes(array)
        if damage is not None:
            payload = damage(name, payload)
        for old in folder.glob(f"{name}*"):
            old.unlink()
        path = folder / (f"{name}.gz" if index % 2 else name)
        path.write_bytes(gzip.compress(payload) if index % 2 else payload)


def label_10(name, payload):
    if name != "train-labels-idx1-ubyte":
        return payload
    return payload[:-1] + bytes([10])


def wrong_magic(name, payload):
    if name != "t10k-images-idx3-ubyte":
        return payload
    return (2052).to_bytes(4, "big") + payload[4:]


def truncated(name, payload):
    return payload[:-100] if name == "t10k-images-idx3-ubyte" else payload


def labels_for_images(name, payload):
    """Swapped: the test labels stored under the test images' name."""
    if name != "t10k-images-idx3-ubyte":
        return payload
    labels = np.arange(10)[::-1].astype(np.uint8)
    return idx_bytes(labels)


def train_for_test(name, payload):
    """Swapped: the training images stored under the test images' name."""
    if name != "t10k-images-idx3-ubyte":
        return payload
    return idx_bytes(np.zeros((30, 28, 28), np.uint8))


DAMAGED = {  # case: (damage, the file named, what the message says is wrong)
    "a label of 10": (
        label_10,
        "train-labels-idx1-ubyte.gz is damaged",
        "a label is 10, expected 0 to 9",
    ),
    "a wrong magic number": (
        wrong_magic,
        "t10k-images-idx3-ubyte is damaged",
        "magic number 2052 (not an IDX file), expected 2051 (an image file)",
    ),
    "a truncated file": (
        truncated,
        "t10k-images-idx3-ubyte is damaged",
        "7,756 bytes, expected 7,856 (truncated?)",
    ),
    "labels under an image file's name": (
        labels_for_images,
        "t10k-images-idx3-ubyte is damaged",
        "magic number 2049 (a label file), expected 2051 (an image file)",
    ),
    "the training images under the test images' name": (
        train_for_test,
        "t10k-images-idx3-ubyte is damaged",
        "shape (30, 28, 28), expected (10, 28, 28)",
    ),
}


def cached_names(tmp_path) -> list[str]:
    return sorted(
        p.name for p in (tmp_path / "cache").rglob("*") if p.is_file()
    )


@pytest.mark.parametrize("case", DAMAGED)
def test_a_damaged_source_is_one_clear_error_and_caches_nothing(
    tiny_fashion, tmp_path, case
):
    damage, file, problem = DAMAGED[case]
    write_source(tmp_path / "idx", tiny_fashion, damage=damage)
    with pytest.raises(ValueError) as raised:
        load_fashion_mnist(val_per_class=1)
    message = str(raised.value)
    assert file in message and problem in message
    assert "Nothing was cached" in message and "FASHION_MNIST_DIR" in message
    assert "AssertionError" not in message and raised.value.__cause__ is None
    damaged_name = file.split()[0].removesuffix(".gz")
    assert damaged_name not in cached_names(tmp_path)  # nothing half-made:
    assert not any(".partial" in n for n in cached_names(tmp_path))
    write_source(tmp_path / "idx", tiny_fashion)  # the source repaired:
    assert len(load_fashion_mnist(val_per_class=1).test_labels) == 10


def test_a_truncated_gz_is_one_clear_error_and_leaves_no_partial_file(
    tiny_fashion, tmp_path
):
    labels = tmp_path / "idx" / "train-labels-idx1-ubyte.gz"
    whole = labels.read_bytes()
    labels.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ValueError) as raised:
        load_fashion_mnist(val_per_class=1)
    message = str(raised.value)
    assert f"{labels} cannot be read or decompressed" in message
    assert (
        "Compressed file ended" in message and "Nothing was cached" in message
    )
    assert cached_names(tmp_path) == ["train-images-idx3-ubyte"]  # checked
    labels.write_bytes(whole)
    assert len(load_fashion_mnist(val_per_class=1).train_labels) == 20


@pytest.mark.parametrize("damage", ["truncated", "garbage", "label 10"])
def test_a_damaged_copy_in_the_cache_is_replaced_not_trusted(
    tiny_fashion, tmp_path, damage
):
    load_fashion_mnist(val_per_class=1)
    cached = tmp_path / "cache" / "FashionMNIST" / "raw"
    good = {name: (cached / name).read_bytes() for name in FILES}
    broken = {
        "truncated": good["t10k-labels-idx1-ubyte"][:-3],
        "garbage": b"not an IDX file",
        "label 10": good["t10k-labels-idx1-ubyte"][:-1] + bytes([10]),
    }[damage]
    (cached / "t10k-labels-idx1-ubyte").write_bytes(broken)
    data = load_fashion_mnist(val_per_class=1)
    assert data.test_labels.tolist() == list(range(9, -1, -1))
    assert {name: (cached / name).read_bytes() for name in FILES} == good


def test_a_changed_file_is_caught_by_its_sha256(tiny_fashion, monkeypatch):
    labels = idx_bytes(tiny_fashion["t10k-labels-idx1-ubyte"])
    sizes = dict(utils.data.FILES)
    sizes["t10k-labels-idx1-ubyte"] = (10, hashlib.sha256(labels).hexdigest())
    monkeypatch.setattr(utils.data, "FILES", sizes)
    assert load_fashion_mnist(val_per_class=1).test_labels[0] == 9
    sizes["t10k-labels-idx1-ubyte"] = (10, hashlib.sha256(b"x").hexdigest())
    changed = "its SHA-256 is not the original's (the file was changed). "
    with pytest.raises(ValueError, match=re.escape(changed)):
        load_fashion_mnist(val_per_class=1)


def test_the_recorded_sha256_sums_are_of_the_decompressed_files():
    source = config.DEBIAN_FASHION_MNIST
    if not source.is_dir():
        pytest.skip("dataset-fashion-mnist is not installed")
    for name, (count, sha256) in utils.data.FILES.items():
        content = gzip.decompress((source / f"{name}.gz").read_bytes())
        assert hashlib.sha256(content).hexdigest() == sha256
        assert int.from_bytes(content[4:8], "big") == count


def test_a_missing_file_is_an_error_naming_it(tiny_fashion, tmp_path):
    (tmp_path / "idx" / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError) as raised:
        load_fashion_mnist()
    assert str(raised.value) == (
        f"FASHION_MNIST_DIR={tmp_path / 'idx'} lacks t10k-labels-idx1-ubyte "
        "(.gz or not): fix the folder or unset the variable"
    )
    assert cached_names(tmp_path) == []


def test_an_empty_folder_is_an_error_naming_every_file(
    tiny_fashion, tmp_path, monkeypatch
):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("FASHION_MNIST_DIR", str(empty))
    with pytest.raises(FileNotFoundError) as raised:
        load_fashion_mnist()
    assert str(raised.value) == (
        f"FASHION_MNIST_DIR={empty} lacks {', '.join(utils.data.FILES)} "
        "(.gz or not): fix the folder or unset the variable"
    )


def test_a_missing_folder_is_an_error_naming_it(
    tiny_fashion, tmp_path, monkeypatch
):
    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError) as raised:
        load_fashion_mnist()
    assert str(raised.value) == (
        f"FASHION_MNIST_DIR={tmp_path / 'nowhere'} is not a folder: fix the "
        "path or unset the variable"
    )


@pytest.fixture
def no_files(tiny_fashion, tmp_path, monkeypatch):
    """Neither FASHION_MNIST_DIR nor Debian's package: a Colab machine."""
    monkeypatch.delenv("FASHION_MNIST_DIR")
    monkeypatch.setattr(config, "DEBIAN_FASHION_MNIST", tmp_path / "nowhere")
    return tiny_fashion


def test_without_files_torchvision_downloads_them(
    no_files, monkeypatch, tmp_path
):
    import torchvision.datasets

    def download(root, train, download):  # what torchvision leaves on disk
        if not download:  # torchvision's own behaviour without the files
            raise RuntimeError("Dataset not found. Use download=True")
        for name, array in no_files.items():
            write_idx(root / "FashionMNIST" / "raw" / name, array, gz=False)

    monkeypatch.setattr(torchvision.datasets, "FashionMNIST", download)
    assert len(load_fashion_mnist(val_per_class=1).test_labels) == 10
    assert cached_names(tmp_path) == sorted(FILES)  # the download folder: gone


def test_without_files_a_failed_download_is_a_clear_error(
    no_files, monkeypatch
):
    import torchvision.datasets

    def offline(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(torchvision.datasets, "FashionMNIST", offline)
    with pytest.raises(FileNotFoundError) as raised:
        load_fashion_mnist()
    assert str(raised.value) == (
        f"no Fashion-MNIST: {config.DEBIAN_FASHION_MNIST} lacks "
        f"{', '.join(utils.data.FILES)}, and the download failed "
        "(OSError('network unreachable')). Go online, set FASHION_MNIST_DIR "
        "to a folder of the four IDX files, or apt-get install "
        "dataset-fashion-mnist"
    )


def test_a_filled_cache_needs_no_source(no_files, monkeypatch, tmp_path):
    import torchvision.datasets

    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path / "idx"))
    first = load_fashion_mnist(val_per_class=1)  # fills the cache
    monkeypatch.delenv("FASHION_MNIST_DIR")  # now no source at all

    def offline(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(torchvision.datasets, "FashionMNIST", offline)
    again = load_fashion_mnist(val_per_class=1)
    assert torch.equal(again.test_images, first.test_images)
    assert torch.equal(again.train_labels, first.train_labels)


@pytest.mark.skipif(
    not config.DEBIAN_FASHION_MNIST.is_dir(),
    reason="dataset-fashion-mnist not installed",
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
    images = to_float_images(torch.arange(24, dtype=torch.uint8).view(2, 3, 4))
    assert images.shape == (2, 1, 3, 4)  # the channel axis comes second
    assert images[1, 0, 2, 3].item() == pytest.approx(23 / 255)
    for bad in (torch.zeros(1, 2, 2), torch.zeros(2, 2, dtype=torch.uint8)):
        with pytest.raises(ValueError, match="expected uint8 images"):
            to_float_images(bad)
