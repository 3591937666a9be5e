"""The shared models, checkpoints, activations and figures, judged by what
they compute, write to disk and draw."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.ticker import PercentFormatter
from torch import nn

from utils import (
    VGGStyleNet,
    capture_activations,
    count_parameters,
    load_checkpoint,
    parameter_table,
    plot_history,
    save_checkpoint,
    show_feature_maps,
    show_images,
)


def test_vgg_style_net_matches_its_documented_table():
    model = VGGStyleNet()
    convs = [m for m in model.features.modules() if isinstance(m, nn.Conv2d)]
    assert [(c.in_channels, c.out_channels) for c in convs] == [
        (1, 16),
        (16, 16),
        (16, 32),
        (32, 32),
        (32, 64),
        (64, 64),
    ]
    assert all(
        c.kernel_size == (3, 3) and c.padding == (1, 1) and c.bias is None
        for c in convs
    )
    assert sum(isinstance(m, nn.MaxPool2d) for m in model.modules()) == 2
    assert sum(isinstance(m, nn.BatchNorm2d) for m in model.modules()) == 6
    by_hand = sum(
        9 * i * o + 2 * o
        for i, o in [(1, 16), (16, 16), (16, 32), (32, 32), (32, 64), (64, 64)]
    )
    assert count_parameters(model) == by_hand + 64 * 10 + 10 == 72_666
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    assert model.features(torch.zeros(1, 1, 28, 28)).shape == (1, 64, 7, 7)
    wide = VGGStyleNet(num_classes=5, in_channels=3, widths=(8,))
    assert (
        wide.classifier.out_features == 5
        and wide.features[0][0].in_channels == 3
    )
    assert not any(isinstance(m, nn.MaxPool2d) for m in wide.modules())
    with pytest.raises(ValueError, match="^widths needs at least one block"):
        VGGStyleNet(widths=())


def test_vgg_style_net_has_a_relu_after_every_batch_norm():
    net = VGGStyleNet(widths=(4, 8))
    kinds = [
        type(m).__name__
        for m in net.features.modules()
        if not isinstance(m, nn.Sequential)
    ]
    block = ["Conv2d", "BatchNorm2d", "ReLU"] * 2
    assert kinds == block + ["MaxPool2d"] + block
    assert net.features(torch.randn(2, 1, 8, 8)).min() >= 0


def test_count_parameters_and_the_table():
    model = nn.Sequential(nn.Linear(4, 2), nn.ReLU(), nn.Linear(2, 1))
    assert count_parameters(model) == 13
    rows = parameter_table(VGGStyleNet()).splitlines()
    assert rows[0].split() == ["layer", "type", "parameters"] and rows[
        -1
    ].split() == [
        "total",
        "72,666",
    ]
    assert rows[1].split() == ["features.0.0", "Conv2d", "144"]
    assert rows[2].split() == ["features.0.1", "BatchNorm2d", "32"]
    # six convolutions, six batch norms, the classifier
    assert len(rows) == 2 + 12 + 1
    assert parameter_table(nn.Linear(2, 2)).splitlines()[1].split() == [
        "(model)",
        "Linear",
        "6",
    ]


def test_parameter_table_columns_line_up():
    model = nn.Sequential()
    model.add_module("a_long_layer_name", nn.Linear(3, 2))  # 8 parameters
    model.add_module("b", nn.Conv2d(1, 100, 3))  # 1,000 parameters
    assert parameter_table(model).splitlines() == [
        "layer              type    parameters",
        "a_long_layer_name  Linear           8",
        "b                  Conv2d       1,000",
        "total                           1,008",
    ]


def test_checkpoint_round_trip_is_atomic_and_bad_files_are_clear_errors(
    tmp_path,
):
    model = nn.Linear(3, 2)
    path = save_checkpoint(
        tmp_path / "sub" / "model.pt", model, accuracy=0.5, seed=1
    )
    # no temporary file left
    assert [p.name for p in path.parent.iterdir()] == ["model.pt"]
    copy = nn.Linear(3, 2)
    assert load_checkpoint(path, copy) == {"accuracy": 0.5, "seed": 1}
    assert torch.equal(copy.weight, model.weight) and torch.equal(
        copy.bias, model.bias
    )
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pt", copy)
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a checkpoint of this Linear"):
        load_checkpoint(tmp_path / "junk.pt", copy)
    torch.save({"weights": 1}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="KeyError"):
        load_checkpoint(tmp_path / "other.pt", copy)
    with pytest.raises(ValueError, match="not a checkpoint of this Linear"):
        load_checkpoint(path, nn.Linear(4, 2))


def test_checkpoints_overwrite_and_refuse_pickled_code(tmp_path):
    path = tmp_path / "deep" / "er" / "model.pt"
    save_checkpoint(path, nn.Linear(2, 1), note="first")
    save_checkpoint(path, nn.Linear(2, 1), note="second")  # over the first
    assert [p.name for p in path.parent.iterdir()] == ["model.pt"]
    assert load_checkpoint(path, nn.Linear(2, 1)) == {"note": "second"}
    model = nn.Linear(2, 1)
    bare = tmp_path / "bare.pt"
    torch.save({"state_dict": model.state_dict()}, bare)
    assert load_checkpoint(bare, nn.Linear(2, 1)) == {}  # no metadata: fine
    pickled = tmp_path / "code.pt"
    metadata = {"f": nn.ReLU()}  # unpickling it could run any code
    torch.save(
        {"state_dict": model.state_dict(), "metadata": metadata}, pickled
    )
    with pytest.raises(ValueError, match="code.pt is not a checkpoint"):
        load_checkpoint(pickled, nn.Linear(2, 1))
    with pytest.raises(FileNotFoundError, match=r"checkpoints/README\.md"):
        load_checkpoint(tmp_path / "missing.pt", nn.Linear(2, 1))


def test_capture_activations_records_the_layer_outputs_and_cleans_up():
    model = nn.Sequential(
        nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Conv2d(2, 3, 3), nn.ReLU()
    )
    images = torch.randn(2, 1, 8, 8)
    with capture_activations(model) as maps:
        output = model(images)
    assert list(maps) == ["0", "2"]
    assert torch.equal(maps["0"], model[0](images)) and torch.equal(
        maps["2"].relu(), output
    )
    assert not maps["2"].requires_grad
    with capture_activations(model, (nn.ReLU,)) as relus:
        model(images)
    assert torch.equal(relus["3"], output)
    model(torch.randn(2, 1, 8, 8))  # after the block: nothing is recorded
    assert torch.equal(relus["3"], output) and torch.equal(
        maps["0"], model[0](images)
    )
    with pytest.raises(RuntimeError), capture_activations(model) as failed:
        raise RuntimeError("boom")
    model(images)
    assert failed == {}  # the hooks are gone after an error too
    with pytest.raises(ValueError, match="no layer of type"):
        with capture_activations(model, (nn.Linear,)):
            pass


def test_plot_history_draws_train_and_validation_per_run():
    run = {
        "epoch": [1, 2],
        "train_loss": [0.9, 0.5],
        "train_acc": [0.6, 0.8],
        "val_loss": [0.8, 0.6],
        "val_acc": [0.7, 0.75],
    }
    fig = plot_history(
        {"a": run, "b": {**run, "val_loss": [float("nan")] * 2}}, title="T"
    )
    loss, accuracy = fig.axes
    assert [line.get_label() for line in loss.lines] == [
        "a train",
        "a validation",
        "b train",
    ]
    assert list(accuracy.lines[1].get_ydata()) == [0.7, 0.75]
    assert fig.get_suptitle() == "T"
    assert [line.get_label() for line in plot_history(run).axes[0].lines] == [
        "train",
        "validation",
    ]
    plt.close("all")


def test_show_images_titles_predictions_and_signed_maps():
    fig = show_images(
        torch.rand(3, 1, 5, 5),
        [0, 1, 2],
        ["a", "b", "c"],
        predictions=[0, 2, 2],
        ncols=2,
    )
    titles = [ax.get_title() for ax in fig.axes]
    assert (
        titles == ["a", "b\n→ c", "c", ""]
        and fig.axes[1].title.get_color() == "crimson"
    )
    maps = torch.tensor([[[-1.0, 3.0]], [[0.5, 0.25]]])
    fig = show_feature_maps(maps, signed=True)
    image = fig.axes[0].images[0]
    assert (
        image.get_clim() == (-3.0, 3.0) and image.get_cmap().name == "RdBu_r"
    )
    assert [ax.get_title() for ax in fig.axes] == ["0", "1"]
    assert (
        show_images(torch.rand(2, 3, 4, 4), names=["x", "y"])
        .axes[1]
        .get_title()
        == "y"
    )
    with pytest.raises(ValueError, match="2 images and 1 labels"):
        show_images(torch.rand(2, 4, 4), [0])
    plt.close("all")


def test_plot_history_labels_styles_and_axes():
    run = {
        "epoch": [1, 2, 3],
        "train_loss": [0.9, 0.5, 0.4],
        "train_acc": [0.6, 0.8, 0.85],
        "val_loss": [0.8, 0.6, 0.55],
        "val_acc": [0.7, 0.75, 0.8],
    }
    fig = plot_history({"a": run, "b": run}, title="Runs")
    loss, accuracy = fig.axes
    assert tuple(fig.get_size_inches()) == (10, 3.6) and fig.dpi == 100
    assert fig.get_suptitle() == "Runs"
    assert (loss.get_xlabel(), loss.get_ylabel(), loss.get_title()) == (
        "epoch",
        "cross-entropy loss",
        "Loss",
    )
    assert (accuracy.get_xlabel(), accuracy.get_ylabel()) == (
        "epoch",
        "accuracy",
    )
    assert accuracy.get_title() == "Accuracy"
    # side by side, not one above the other
    assert loss.get_position().x1 <= accuracy.get_position().x0
    formatter = accuracy.yaxis.get_major_formatter()
    assert isinstance(formatter, PercentFormatter)
    assert formatter(0.5, 0).startswith("50") and formatter(0.5, 0)[-1] == "%"
    styles = [
        (line.get_linestyle(), line.get_marker(), line.get_color())
        for line in accuracy.lines
    ]
    assert styles == [
        ("-", "o", "C0"),
        ("--", "s", "C0"),
        ("-", "o", "C1"),
        ("--", "s", "C1"),
    ]
    assert {line.get_markersize() for line in accuracy.lines} == {3}
    assert [t.get_text() for t in loss.get_legend().get_texts()] == [
        "a train",
        "a validation",
        "b train",
        "b validation",
    ]
    assert list(loss.lines[1].get_ydata()) == [0.8, 0.6, 0.55]
    assert list(loss.lines[1].get_xdata()) == [1, 2, 3]  # the epochs
    assert loss.get_legend().get_texts()[0].get_fontsize() == 8
    fig.canvas.draw()
    ticks = [t for t in loss.get_xticks() if 1 <= t <= 3]
    assert ticks and all(t == int(t) for t in ticks)  # whole epochs only
    assert not loss.spines["top"].get_visible()
    assert loss.xaxis.get_gridlines()[0].get_visible()
    train_only = {
        key: run[key] for key in ("epoch", "train_loss", "train_acc")
    }
    untitled = plot_history(train_only)
    assert len(untitled.axes[0].lines) == 1 and untitled.get_suptitle() == ""
    plt.close("all")


def test_show_images_layout_colours_and_titles():
    fig = show_images(
        torch.rand(5, 6, 7),
        labels=[0, 1, 2, 3, 4],
        ncols=3,
        size=2.0,
        title="T",
    )
    # a 3 x 2 grid of 2-inch images, 0.4 inch for the title
    assert tuple(fig.get_size_inches()) == pytest.approx((6.0, 4.4))
    assert len(fig.axes) == 6 and not fig.axes[5].images
    assert fig.get_suptitle() == "T"
    first = fig.axes[0]
    assert first.images[0].get_cmap().name == "gray" and not first.axison
    assert first.get_title() == "0" and first.title.get_color() == "black"
    assert first.title.get_fontsize() == 8
    rgb = torch.rand(2, 3, 4, 5)
    fig = show_images(rgb, names=["p", "q"])
    shown = torch.as_tensor(fig.axes[0].images[0].get_array())
    torch.testing.assert_close(shown, rgb[0].permute(1, 2, 0))
    assert fig.axes[1].get_title() == "q"
    assert fig.axes[1].title.get_fontsize() == 7
    assert fig.get_suptitle() == ""  # no title unless one is given
    grey = show_images(torch.rand(1, 1, 4, 5)).axes[0].images[0].get_array()
    assert grey.shape == (4, 5)
    zeros = show_images(torch.zeros(1, 3, 3), signed=True).axes[0].images[0]
    assert zeros.get_clim() == (-1.0, 1.0)  # all zero: no division by 0
    fig = show_images(torch.rand(12, 4, 4))
    assert len(fig.axes) == 16 and not any(ax.axison for ax in fig.axes)
    assert tuple(fig.get_size_inches()) == pytest.approx((11.2, 3.2))
    plt.close("all")
