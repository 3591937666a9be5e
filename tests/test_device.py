import random

import numpy as np
import pytest
import torch

from utils import get_device, seed_everything


def test_override_to_cpu(monkeypatch):
    monkeypatch.setenv("CNN_COURSE_DEVICE", "cpu")
    assert get_device() == torch.device("cpu")


def test_fallback_without_override(monkeypatch):
    monkeypatch.delenv("CNN_COURSE_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert get_device() == torch.device("cpu")


def test_prefers_cuda_then_mps(monkeypatch):
    monkeypatch.delenv("CNN_COURSE_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert get_device().type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert get_device().type == "mps"


def test_override_to_missing_cuda_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("CNN_COURSE_DEVICE", "cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="no CUDA GPU"):
        get_device()


def test_override_with_nonsense_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("CNN_COURSE_DEVICE", "gpu-please")
    with pytest.raises(ValueError, match="not a device name"):
        get_device()


def test_seeding_makes_runs_identical():
    def draw():
        seed_everything(123)
        model = torch.nn.Linear(4, 3)
        return random.random(), np.random.rand(), torch.rand(3), model.weight.detach().clone()

    first, second = draw(), draw()
    assert first[0] == second[0] and first[1] == second[1]
    assert torch.equal(first[2], second[2]) and torch.equal(first[3], second[3])


def test_seed_must_be_a_non_negative_int():
    with pytest.raises(ValueError, match="non-negative int"):
        seed_everything(-1)
