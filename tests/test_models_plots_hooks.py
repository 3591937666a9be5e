import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest
import torch
from torch import nn

from utils import (
    LeNet5,
    VGGStyleNet,
    capture_activations,
    count_parameters,
    load_checkpoint,
    plot_history,
    save_checkpoint,
    show_feature_maps,
    show_images,
)


def test_lenet5_has_61706_parameters_in_both_styles():
    for modern in (False, True):
        model = LeNet5(modern=modern)
        assert count_parameters(model).total == 61_706
        assert model(torch.zeros(3, 1, 28, 28)).shape == (3, 10)
        assert model(torch.zeros(3, 1, 32, 32)).shape == (3, 10)


def test_parameter_table_rows_add_up():
    model = VGGStyleNet()
    count = count_parameters(model)
    assert sum(rows[2] for rows in count.rows) == count.total == count.trainable
    model.features.requires_grad_(False)
    assert count_parameters(model).trainable == 64 * 10 + 10
    assert "total" in count.table() and f"{count.total:,}" in count.table()


def test_vgg_style_net_shapes():
    model = VGGStyleNet(num_classes=5, widths=(8, 16))
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 5)
    assert model.features(torch.zeros(1, 1, 28, 28)).shape == (1, 16, 14, 14)
    with pytest.raises(ValueError, match="widths"):
        VGGStyleNet(widths=())


def test_capture_activations_removes_hooks_even_after_errors():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Conv2d(2, 3, 3))
    with pytest.raises(RuntimeError):
        with capture_activations(model) as maps:
            model(torch.zeros(1, 5, 8, 8))  # wrong channel count
    assert all(not layer._forward_hooks for layer in model)
    with capture_activations(model) as maps:
        model(torch.zeros(1, 1, 8, 8))
    assert [tuple(m.shape) for m in maps.values()] == [(1, 2, 6, 6), (1, 3, 4, 4)]
    with pytest.raises(ValueError, match="no layer of type"):
        with capture_activations(model, (nn.Linear,)):
            pass


def test_checkpoint_roundtrip_and_errors(tmp_path):
    model = VGGStyleNet(widths=(4,))
    path = save_checkpoint(tmp_path / "m.pt", model, test_accuracy=0.5, seed=0)
    other = VGGStyleNet(widths=(4,))
    assert load_checkpoint(path, other) == {"test_accuracy": 0.5, "seed": 0}
    assert all(
        torch.equal(a, b)
        for a, b in zip(model.state_dict().values(), other.state_dict().values(), strict=False)
    )
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pt", other)
    with pytest.raises(ValueError, match="does not fit"):
        load_checkpoint(path, VGGStyleNet(widths=(8,)))
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a readable"):
        load_checkpoint(tmp_path / "junk.pt", other)


def test_plots_return_figures_and_validate():
    history = {
        "epoch": [1, 2],
        "train_loss": [1.0, 0.5],
        "train_acc": [0.5, 0.7],
        "val_loss": [1.1, 0.6],
        "val_acc": [0.4, 0.6],
        "seconds": [1.0, 1.0],
    }
    assert len(plot_history({"a": history, "b": history}).axes) == 2
    assert (
        len(
            show_images(torch.rand(5, 1, 28, 28), [0, 1, 2, 3, 4], predictions=[0, 1, 2, 3, 0]).axes
        )
        == 5
    )
    assert len(show_feature_maps(torch.randn(4, 1, 3, 3), signed=True).axes) == 4
    with pytest.raises(ValueError, match="no images"):
        show_images([])
    with pytest.raises(ValueError, match="labels"):
        show_images(torch.rand(2, 28, 28), labels=[1])
    with pytest.raises(ValueError, match="shape"):
        show_feature_maps(torch.rand(5))
    plt.close("all")
