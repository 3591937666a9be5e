import random

import numpy as np
import pytest
import torch

from utils import get_device, seed_everything


@pytest.mark.parametrize(
    "cuda, mps, expected",
    [(True, True, "cuda"), (False, True, "mps"), (False, False, "cpu")],
)
def test_prefers_cuda_then_mps_then_cpu(monkeypatch, cuda, mps, expected):
    monkeypatch.delenv("CNN_COURSE_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    assert get_device() == torch.device(expected)


def test_the_environment_chooses_and_bad_choices_are_clear_errors(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("CNN_COURSE_DEVICE", " cpu ")
    assert get_device() == torch.device("cpu")
    monkeypatch.setenv("CNN_COURSE_DEVICE", "cuda:1")
    with pytest.raises(
        ValueError, match="'cuda:1', but this machine has no cuda device"
    ):
        get_device()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert get_device() == torch.device("cuda:1")
    monkeypatch.setenv("CNN_COURSE_DEVICE", "gpu-please")
    with pytest.raises(ValueError, match="is not a device"):
        get_device()


def test_seeding_repeats_every_generator_and_sets_cudnn(monkeypatch):
    def draw():
        seed_everything(123)
        return (
            random.random(),
            float(np.random.rand()),
            torch.rand(3),
            torch.nn.Linear(4, 3).weight,
        )

    first, second = draw(), draw()
    assert (
        first[:2] == second[:2]
        and torch.equal(first[2], second[2])
        and torch.equal(first[3], second[3])
    )
    seed_everything(124)
    assert random.random() != first[0]
    assert (
        torch.backends.cudnn.deterministic
        and not torch.backends.cudnn.benchmark
    )
    seed_everything(0, deterministic=False)
    assert (
        not torch.backends.cudnn.deterministic
        and torch.backends.cudnn.benchmark
    )
    seed_everything()  # the default seed is 0
    default = torch.rand(3)
    seed_everything(0)
    assert torch.equal(default, torch.rand(3))
    for bad in (-1, 1.5):
        with pytest.raises(ValueError, match="non-negative int"):
            seed_everything(bad)
