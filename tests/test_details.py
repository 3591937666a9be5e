"""Behaviours that `make mutation` showed no other test pinned down: how `fit` moves batches
and sets up mixed precision, exact error messages, hints, checkpoint files, figure details."""

import base64
import json
import zlib

import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.ticker import PercentFormatter
from torch import nn

import utils.models
import utils.train
from utils import (
    TensorBatches,
    VGGStyleNet,
    check,
    evaluate,
    fit,
    load_checkpoint,
    parameter_table,
    plot_history,
    predict,
    random_shift,
    save_checkpoint,
    seed_everything,
    show_images,
    to_float_images,
)
from utils.exercises import encode


class Moves(torch.Tensor):
    """A tensor that records every ``.to(...)`` call, to see where batches are sent."""

    calls: list = []

    def to(self, *args, **kwargs):
        Moves.calls.append((args, kwargs))
        return super().to(*args, **kwargs).as_subclass(torch.Tensor)


def small_model():
    seed_everything(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 2))


def data(count=40):
    generator = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 2, (count,), generator=generator)
    images = torch.randn(count, 1, 4, 4, generator=generator) + labels.view(-1, 1, 1, 1) * 2.0
    return images, labels


def test_fit_sends_batches_to_the_models_device_without_blocking():
    images, labels = data()
    model, Moves.calls = small_model(), []
    batches = [(images.as_subclass(Moves), labels.as_subclass(Moves))]
    fit(model, batches, epochs=1, optimizer=torch.optim.SGD(model.parameters(), 0.1),
        verbose=False, progress=False)  # fmt: skip
    assert Moves.calls == [((torch.device("cpu"),), {"non_blocking": True})] * 2


def test_evaluate_and_predict_send_inputs_to_the_models_device():
    images, labels = data()
    model, Moves.calls = small_model(), []
    evaluate(model, [(images.as_subclass(Moves), labels.as_subclass(Moves))])
    predict(model, images.as_subclass(Moves))
    assert [args for args, _ in Moves.calls] == [(torch.device("cpu"),)] * 3


def test_predict_works_in_chunks_of_1024_by_default():
    sizes = []
    model = nn.Flatten()
    model.register_forward_hook(lambda module, inputs, output: sizes.append(len(inputs[0])))
    model.register_parameter("weight", nn.Parameter(torch.zeros(1)))  # gives it a device
    assert predict(model, torch.zeros(2049, 2)).shape == (2049, 2)
    assert sizes == [1024, 1024, 1]


def test_mixed_precision_setup_follows_the_autocast_dtype(monkeypatch):
    scalers, autocasts, zero_grads = [], [], []
    real_scaler, real_autocast = torch.amp.GradScaler, torch.autocast

    def scaler(*args, **kwargs):
        scalers.append((args, kwargs))
        return real_scaler("cpu", enabled=False)

    def autocast(device_type, dtype=None, enabled=True):
        autocasts.append((device_type, dtype, enabled))
        return real_autocast(device_type, enabled=False)

    class Recording(torch.optim.SGD):
        def zero_grad(self, *args, **kwargs):
            zero_grads.append((args, kwargs))
            super().zero_grad(*args, **kwargs)

    monkeypatch.setattr(torch.amp, "GradScaler", scaler)
    monkeypatch.setattr(torch, "autocast", autocast)
    images, labels = data()
    for dtype, scaled in ((torch.float16, True), (torch.bfloat16, False), (None, False)):
        monkeypatch.setattr(utils.train, "autocast_dtype", lambda device, d=dtype: d)
        model = small_model()
        fit(model, [(images, labels)], epochs=1, optimizer=Recording(model.parameters(), 0.1),
            verbose=False, progress=False)  # fmt: skip
        assert scalers[-1] == (("cpu",), {"enabled": scaled})  # a GradScaler for float16 only
        assert autocasts[-1] == ("cpu", dtype, dtype is not None)
    assert zero_grads == [((), {"set_to_none": True})] * 3


def test_progress_bar_is_on_by_default_and_cleared_after_each_epoch(monkeypatch):
    bars = []

    def tqdm(iterable, description, **kwargs):
        bars.append((description, kwargs))
        return iterable

    monkeypatch.setattr(utils.train, "tqdm", tqdm)
    monkeypatch.delenv("CNN_COURSE_PROGRESS", raising=False)
    images, labels = data()
    model = small_model()
    fit(model, [(images, labels)], epochs=2, optimizer=torch.optim.SGD(model.parameters(), 0.1),
        verbose=False)  # fmt: skip
    assert [description for description, _ in bars] == ["epoch 1/2", "epoch 2/2"]
    assert bars[0][1]["leave"] is False and bars[0][1]["disable"] is False


def test_training_accuracy_counts_the_correct_predictions():
    images, labels = data()
    model = small_model()
    history = fit(model, [(images, labels)], epochs=1, verbose=False, progress=False,
                  optimizer=torch.optim.SGD(model.parameters(), lr=0.0))  # fmt: skip
    with torch.no_grad():
        correct = (model(images).argmax(1) == labels).float().mean().item()
    assert correct not in (0.5,) and history["train_acc"] == [pytest.approx(correct)]


def test_vgg_style_net_without_widths_is_an_exact_error():
    with pytest.raises(ValueError, match="^widths needs at least one block width"):
        VGGStyleNet(widths=())


def test_to_float_images_adds_the_channel_axis_second():
    images = torch.arange(24, dtype=torch.uint8).view(2, 3, 4)
    floats = to_float_images(images)
    assert floats.shape == (2, 1, 3, 4) and floats[1, 0, 2, 3].item() == pytest.approx(23 / 255)


def test_vgg_style_net_has_a_relu_after_every_batch_norm():
    net = VGGStyleNet(widths=(4, 8))
    kinds = [type(m).__name__ for m in net.features.modules() if not isinstance(m, nn.Sequential)]
    assert kinds == ["Conv2d", "BatchNorm2d", "ReLU"] * 2 + ["MaxPool2d"] + [
        "Conv2d", "BatchNorm2d", "ReLU"] * 2  # fmt: skip
    assert net.features(torch.randn(2, 1, 8, 8)).min() >= 0


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


def test_checkpoints_make_folders_overwrite_and_write_through_a_partial_file(tmp_path, monkeypatch):
    written = []
    real_save = torch.save
    monkeypatch.setattr(
        torch, "save", lambda obj, path: written.append(path) or real_save(obj, path)
    )
    path = tmp_path / "deep" / "er" / "model.pt"
    save_checkpoint(path, nn.Linear(2, 1), note="first")
    save_checkpoint(path, nn.Linear(2, 1), note="second")  # the folder exists now: fine
    assert written == [path.with_suffix(".partial")] * 2 and not written[0].exists()
    assert load_checkpoint(path, nn.Linear(2, 1)) == {"note": "second"}


def test_load_checkpoint_reads_to_the_cpu_refuses_code_and_tolerates_no_metadata(
    tmp_path, monkeypatch
):
    model = nn.Linear(2, 1)
    bare = tmp_path / "bare.pt"
    torch.save({"state_dict": model.state_dict()}, bare)
    assert load_checkpoint(bare, nn.Linear(2, 1)) == {}
    pickled = tmp_path / "code.pt"
    torch.save({"state_dict": model.state_dict(), "metadata": {"f": nn.ReLU()}}, pickled)
    with pytest.raises(ValueError):
        load_checkpoint(pickled, nn.Linear(2, 1))
    loads = []
    real_load = torch.load
    monkeypatch.setattr(torch, "load", lambda *a, **k: loads.append(k) or real_load(*a, **k))
    load_checkpoint(bare, nn.Linear(2, 1))
    assert loads == [{"map_location": "cpu", "weights_only": True}]
    with pytest.raises(FileNotFoundError, match=r"checkpoints/README\.md"):
        load_checkpoint(tmp_path / "missing.pt", nn.Linear(2, 1))


def test_random_shift_defaults_to_two_pixels_and_uses_only_its_generator():
    dots = torch.zeros(400, 1, 9, 9)
    dots[:, 0, 4, 4] = 1.0

    def shifted(seed):
        torch.manual_seed(seed)  # the global generator must not matter
        return random_shift(dots, torch.Generator().manual_seed(0), flip=True)

    first, second = shifted(1), shifted(2)
    assert torch.equal(first, second)
    rows, cols = first[:, 0].nonzero()[:, 1], first[:, 0].nonzero()[:, 2]
    assert set((rows - 4).tolist()) == set((cols - 4).tolist()) == {-2, -1, 0, 1, 2}


def test_check_uses_the_stored_tolerances_and_names_every_factor(tmp_path, monkeypatch, capsys):
    specs = {
        "loose": {"kind": "number", "answer": encode(10.0), "rtol": 0.1, "atol": 0.0},
        "abs": {"kind": "number", "answer": encode(0.0), "rtol": 0.0, "atol": 0.5},
        "big": {"kind": "number", "answer": encode(3.0)},
        "fn": {
            "kind": "function",
            "answer": encode(
                {"reference": "lambda x: F.relu(x) * math.pi", "inputs": [{"shape": [5]}]}
            ),
        },  # fmt: skip
    }
    (tmp_path / "exercises").mkdir()
    (tmp_path / "exercises" / "t.json").write_text(json.dumps(specs))
    monkeypatch.setattr("utils.exercises.__file__", str(tmp_path / "exercises.py"))
    assert check("loose", 10.5) and check("abs", 0.4)  # within the stored rtol / atol
    assert not check("loose", 11.5) and not check("abs", 0.6)
    capsys.readouterr()
    for factor in (2, 4, 10, 100, 1000):
        check("big", 3.0 * factor)
        assert (
            capsys.readouterr().out.strip() == f"not yet: off by a factor of {factor} (too large)"
        )
    check("big", 3.5)
    assert capsys.readouterr().out.strip() == "not yet: too large"
    calls = []
    assert check("fn", lambda x: calls.append(1) or torch.relu(x) * 3.141592653589793)
    assert len(calls) == 3  # three fresh random inputs
    assert json.loads(zlib.decompress(base64.b64decode(specs["big"]["answer"]))) == 3.0


def test_plot_history_labels_styles_and_axes():
    run = {"epoch": [1, 2, 3], "train_loss": [0.9, 0.5, 0.4], "train_acc": [0.6, 0.8, 0.85],
           "val_loss": [0.8, 0.6, 0.55], "val_acc": [0.7, 0.75, 0.8]}  # fmt: skip
    fig = plot_history({"a": run, "b": run}, title="Runs")
    loss, accuracy = fig.axes
    assert tuple(fig.get_size_inches()) == (10, 3.6)
    assert (loss.get_xlabel(), loss.get_ylabel(), loss.get_title()) == (
        "epoch", "cross-entropy loss", "Loss")  # fmt: skip
    assert (accuracy.get_xlabel(), accuracy.get_ylabel(), accuracy.get_title()) == (
        "epoch", "accuracy", "Accuracy")  # fmt: skip
    assert isinstance(accuracy.yaxis.get_major_formatter(), PercentFormatter)
    assert accuracy.yaxis.get_major_formatter().xmax == 1.0
    styles = [(line.get_linestyle(), line.get_marker(), line.get_color(), line.get_markersize())
              for line in accuracy.lines]  # fmt: skip
    assert styles == [("-", "o", "C0", 3), ("--", "s", "C0", 3), ("-", "o", "C1", 3),
                      ("--", "s", "C1", 3)]  # fmt: skip
    assert [t.get_text() for t in loss.get_legend().get_texts()] == [
        "a train", "a validation", "b train", "b validation"]  # fmt: skip
    assert loss.get_legend().get_texts()[0].get_fontsize() == 8
    assert list(loss.lines[1].get_xdata()) == [1, 2, 3] and list(loss.lines[1].get_ydata()) == [
        0.8, 0.6, 0.55]  # fmt: skip
    assert loss.xaxis.get_major_locator()._integer  # whole epochs on the axis
    assert fig._suptitle.get_text() == "Runs" and loss.xaxis._major_tick_kw.get("gridOn", True)
    assert not loss.spines["top"].get_visible() and not loss.spines["right"].get_visible()
    assert fig.dpi == 100 and loss.title.get_fontsize() == 11
    grid = loss.xaxis.get_gridlines()[0]
    assert grid.get_visible() and grid.get_alpha() == 0.3
    assert loss.xaxis.get_ticklabels()[0].get_fontsize() == 10
    plt.close("all")


def test_show_images_layout_colours_and_titles():
    fig = show_images(torch.rand(5, 6, 7), labels=[0, 1, 2, 3, 4], ncols=3, size=2.0, title="T")
    assert tuple(fig.get_size_inches()) == pytest.approx((6.0, 4.4))  # 3 x 2 grid, +0.4 title
    assert len(fig.axes) == 6 and not fig.axes[5].images and fig._suptitle.get_text() == "T"
    first = fig.axes[0]
    assert fig.dpi == 100 and not first.xaxis.get_gridlines()[0].get_visible()
    assert first.images[0].get_cmap().name == "gray" and not first.axison
    assert first.get_title() == "0" and first.title.get_fontsize() == 8
    assert first.title.get_color() == "black"
    rgb = torch.rand(2, 3, 4, 5)
    fig = show_images(rgb, names=["p", "q"])
    shown = fig.axes[0].images[0].get_array()
    assert shown.shape == (4, 5, 3) and torch.allclose(
        torch.as_tensor(shown), rgb[0].permute(1, 2, 0)
    )
    assert fig.axes[1].get_title() == "q" and fig.axes[1].title.get_fontsize() == 7
    grey = show_images(torch.rand(1, 1, 4, 5)).axes[0].images[0].get_array()
    assert grey.shape == (4, 5)
    zeros = show_images(torch.zeros(1, 3, 3), signed=True).axes[0].images[0]
    assert zeros.get_clim() == (-1.0, 1.0)  # all zero: a limit of 1, not a division by 0
    maps = show_images(torch.tensor([[[0.5, -2.0]]]), signed=True).axes[0]
    assert maps.get_title() == "0" and maps.images[0].get_clim() == (-2.0, 2.0)
    fig = show_images(torch.rand(12, 4, 4))
    assert len(fig.axes) == 16 and tuple(fig.get_size_inches()) == pytest.approx((11.2, 3.2))
    plt.close("all")


def test_tensor_batches_and_to_float_images_feed_fit():
    images, labels = data()
    batches = TensorBatches(images, labels, batch_size=16)
    assert [len(y) for _, y in batches] == [16, 16, 8]
