"""Chapter 13's CelebA loader (exported to course_models) on a tiny folder
shaped like CelebA: the files torchvision's CelebA reads, in its layout, with
a few photos. The real data never runs in the tests; this always does."""

import hashlib
import shutil

import pytest
import torch
from PIL import Image
from torchvision.datasets import CelebA

from course_models import CELEBA_FILES, celeba_folder, load_celeba_smiling

ATTRIBUTES = (
    "5_o_Clock_Shadow Arched_Eyebrows Attractive Bags_Under_Eyes Bald Bangs "
    "Big_Lips Big_Nose Black_Hair Blond_Hair Blurry Brown_Hair "
    "Bushy_Eyebrows Chubby Double_Chin Eyeglasses Goatee Gray_Hair "
    "Heavy_Makeup High_Cheekbones Male Mouth_Slightly_Open Mustache "
    "Narrow_Eyes No_Beard Oval_Face Pale_Skin Pointy_Nose Receding_Hairline "
    "Rosy_Cheeks Sideburns Smiling Straight_Hair Wavy_Hair Wearing_Earrings "
    "Wearing_Hat Wearing_Lipstick Wearing_Necklace Wearing_Necktie Young"
).split()
# (file, partition: 0 train, 1 valid, 2 test, smiling)
PHOTOS = [
    ("000001.jpg", 0, True),
    ("000002.jpg", 0, False),
    ("000003.jpg", 0, True),
    ("000004.jpg", 1, False),
    ("000005.jpg", 1, True),
    ("000006.jpg", 2, False),
    ("000007.jpg", 2, True),  # two: torchvision cannot read a 1-photo split
]


def write_celeba(root):
    """CelebA's layout under ``root``: root/celeba/img_align_celeba/*.jpg
    (178 wide, 218 high, as the aligned photos) and the five text files in
    the original formats (a count line and a header where CelebA has them).
    Photo i is filled with grey level 30 * (i + 1), so it can be recognized
    after loading."""
    folder = root / "celeba"
    (folder / "img_align_celeba").mkdir(parents=True)
    smiling = ATTRIBUTES.index("Smiling")
    attribute_rows, partitions, identities, boxes, landmarks = (
        [],
        [],
        [],
        [],
        [],
    )
    for index, (name, partition, smiles) in enumerate(PHOTOS):
        grey = 30 * (index + 1)
        Image.new("RGB", (178, 218), (grey, grey, grey)).save(
            folder / "img_align_celeba" / name, quality=95
        )
        values = [-1] * len(ATTRIBUTES)
        values[smiling] = 1 if smiles else -1
        values[0] = 1  # another attribute set, to catch a wrong column
        attribute_rows.append(name + " " + " ".join(f"{v:>2}" for v in values))
        partitions.append(f"{name} {partition}")
        identities.append(f"{name} {100 + index}")
        boxes.append(f"{name}    95  71 226 313")
        landmarks.append(
            f"{name} 69  109  106  113   77  142   73  152  108  154"
        )
    count = str(len(PHOTOS))
    texts = {
        "list_attr_celeba.txt": [count, " ".join(ATTRIBUTES) + " "]
        + attribute_rows,
        "list_eval_partition.txt": partitions,
        "identity_CelebA.txt": identities,
        "list_bbox_celeba.txt": [count, "image_id x_1 y_1 width height"]
        + boxes,
        "list_landmarks_align_celeba.txt": [
            count,
            "lefteye_x lefteye_y righteye_x righteye_y nose_x nose_y "
            "leftmouth_x leftmouth_y rightmouth_x rightmouth_y",
        ]
        + landmarks,
    }
    assert set(texts) == set(CELEBA_FILES)
    for name, lines in texts.items():
        (folder / name).write_text("\n".join(lines) + "\n")
    return folder


@pytest.fixture
def celeba_root(tmp_path, monkeypatch):
    """The tiny CelebA, with torchvision's MD5 sums replaced by the
    fixture's own, so that torchvision's integrity check runs unchanged."""
    folder = write_celeba(tmp_path)
    fixture_list = [
        (file_id, hashlib.md5((folder / name).read_bytes()).hexdigest(), name)
        if (folder / name).exists()
        else (file_id, md5, name)
        for file_id, md5, name in CelebA.file_list
    ]
    monkeypatch.setattr(CelebA, "file_list", fixture_list)
    return tmp_path


def expected(partition):
    return [
        (i, smiles)
        for i, (_, p, smiles) in enumerate(PHOTOS)
        if p == partition
    ]


@pytest.mark.parametrize(
    "split, partition", [("train", 0), ("valid", 1), ("test", 2)]
)
def test_each_split_loads_its_photos_and_their_smiling_labels(
    celeba_root, split, partition
):
    photos = expected(partition)
    images, labels = load_celeba_smiling(celeba_root, split, count=len(photos))
    assert images.shape == (len(photos), 1, 64, 64)
    assert images.dtype == torch.float32 and labels.dtype == torch.float32
    assert labels.tolist() == [float(smiles) for _, smiles in photos]
    # each photo is the one its partition names: its grey level, in [0, 1]
    for image, (index, _) in zip(images, photos, strict=True):
        assert abs(image.mean().item() - 30 * (index + 1) / 255) < 0.02


def test_size_and_count(celeba_root):
    images, labels = load_celeba_smiling(celeba_root, "train", 2, size=28)
    assert images.shape == (2, 1, 28, 28) and labels.tolist() == [1.0, 0.0]
    with pytest.raises(ValueError, match=r"between 1 and 3 for the 'train'"):
        load_celeba_smiling(celeba_root, "train", count=4)


def test_missing_files_are_named_in_one_error(celeba_root):
    folder = celeba_root / "celeba"
    (folder / "identity_CelebA.txt").unlink()
    shutil.rmtree(folder / "img_align_celeba")
    with pytest.raises(FileNotFoundError) as raised:
        load_celeba_smiling(celeba_root, "train", count=1)
    message = str(raised.value)
    assert message.startswith(f"{folder} lacks identity_CelebA.txt, ")
    assert "img_align_celeba:" in message
    assert "list_attr_celeba.txt" not in message  # present: not named


def test_an_empty_celeba_dir_names_every_file(tmp_path):
    with pytest.raises(FileNotFoundError) as raised:
        celeba_folder(tmp_path)
    for name in (*CELEBA_FILES, "img_align_celeba"):
        assert name in str(raised.value)


def test_changed_files_are_named(celeba_root, monkeypatch):
    # the fixture's files against torchvision's real MD5 sums: all differ
    monkeypatch.undo()
    with pytest.raises(ValueError) as raised:
        celeba_folder(celeba_root)
    message = str(raised.value)
    assert all(name in message for name in CELEBA_FILES)
    assert "differ from the files torchvision knows (MD5)" in message
