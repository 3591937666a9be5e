"""Training and evaluation, judged by what they compute: weights after an
epoch against a hand-written loop, reported numbers against a recomputation,
output dtypes, printed lines and error messages."""

import copy

import pytest
import torch
from torch import nn
from torch.nn import functional as F

import utils.train
from utils import (
    TensorBatches,
    evaluate,
    fit,
    predict,
    seed_everything,
    train_one_epoch,
)


def blobs(count=120, seed=0):
    """Two Gaussian blobs in 4x4 'images': a problem a small net learns in a
    few epochs."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 2, (count,), generator=generator)
    shift = (labels.float() * 2 - 1).view(-1, 1, 1, 1)
    return torch.randn(count, 1, 4, 4, generator=generator) + shift, labels


def small_model(dropout=0.0):
    seed_everything(0)
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(16, 8),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(8, 2),
    )


def by_hand(model, batches, loss_fn=F.cross_entropy):
    """Mean loss and accuracy, example-weighted, computed without utils."""
    with torch.no_grad():
        pairs = [(model(x), y) for x, y in batches]
    logits = torch.cat([p[0] for p in pairs])
    labels = torch.cat([p[1] for p in pairs])
    accuracy = (logits.argmax(1) == labels).float().mean().item()
    return loss_fn(logits, labels).item(), accuracy


def sgd_by_hand(model, batches, lr, loss_fn=F.cross_entropy):
    """Chapter 1's loop with the update written out: p <- p - lr * grad."""
    model.train()
    losses, correct, count = [], 0, 0
    for images, labels in batches:
        logits = model(images)
        loss = loss_fn(logits, labels)
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for parameter in model.parameters():
                parameter -= lr * parameter.grad
        losses.append(loss.item() * len(labels))
        correct += (logits.argmax(1) == labels).sum().item()
        count += len(labels)
    return sum(losses) / count, correct / count


@pytest.mark.parametrize(
    "loss_fn", [None, nn.CrossEntropyLoss(label_smoothing=0.2)]
)
def test_one_epoch_gives_the_weights_of_a_hand_written_sgd_loop(loss_fn):
    images, labels = blobs()
    batches = list(TensorBatches(images, labels, batch_size=32))  # 4 steps
    ours = small_model(dropout=0.5).eval()  # train_one_epoch sets train()
    reference = copy.deepcopy(ours)
    torch.manual_seed(1)  # the same dropout masks in both runs
    sgd = torch.optim.SGD(ours.parameters(), lr=0.5)
    mean_loss, accuracy = train_one_epoch(ours, batches, sgd, loss_fn=loss_fn)
    torch.manual_seed(1)
    expected = sgd_by_hand(reference, batches, 0.5, loss_fn or F.cross_entropy)
    for mine, theirs in zip(
        ours.parameters(), reference.parameters(), strict=True
    ):
        torch.testing.assert_close(mine, theirs, rtol=0, atol=1e-7)
    assert not torch.equal(ours[1].weight, small_model()[1].weight)  # moved
    assert (mean_loss, accuracy) == pytest.approx(expected, rel=1e-6)
    assert ours.training


def test_sums_are_what_processes_add_up_and_means_are_sums_over_count():
    images, labels = blobs()
    batches = TensorBatches(images, labels, batch_size=50)  # 50, 50, 20
    model = small_model()
    frozen = torch.optim.SGD(model.parameters(), lr=0.0)
    loss_sum, correct, count = train_one_epoch(
        model, batches, frozen, sums=True
    )
    mean_loss, accuracy = train_one_epoch(model, batches, frozen)
    expected_loss, expected_accuracy = by_hand(model, batches)
    assert isinstance(correct, int) and isinstance(count, int) and count == 120
    assert correct == round(expected_accuracy * 120)
    assert loss_sum == pytest.approx(expected_loss * 120, rel=1e-6)
    assert (mean_loss, accuracy) == pytest.approx(
        (loss_sum / count, correct / count)
    )
    assert evaluate(model, batches, sums=True) == pytest.approx(
        (loss_sum, correct, count), rel=1e-6
    )
    eval_sums = evaluate(model, batches, sums=True)
    assert [type(value) for value in eval_sums] == [float, int, int]


def test_a_scaled_loss_gives_the_weights_of_an_unscaled_one():
    """float16 training scales the loss up and the gradients back down."""
    images, labels = blobs()
    batches = list(TensorBatches(images, labels, batch_size=40))
    plain, scaled = small_model(), small_model()
    train_one_epoch(plain, batches, torch.optim.SGD(plain.parameters(), 0.1))
    scaler = torch.amp.GradScaler("cpu", init_scale=1024.0)
    optimizer = torch.optim.SGD(scaled.parameters(), 0.1)
    train_one_epoch(scaled, batches, optimizer, scaler=scaler)
    for a, b in zip(plain.parameters(), scaled.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-7)
    assert scaler.get_scale() == 1024.0  # no overflow: the scale stayed


def output_dtypes(model):
    """The dtypes of the model's logits, one per forward call."""
    seen = []
    model.register_forward_hook(lambda m, i, output: seen.append(output.dtype))
    return seen


def test_autocast_in_training_only_and_float32_evaluation(monkeypatch):
    """On a GPU with bf16, training runs in bf16 and evaluation in float32,
    so evaluate and predict agree; pretend this CPU is one."""
    monkeypatch.setattr(
        utils.train, "autocast_dtype", lambda d: torch.bfloat16
    )
    images, labels = blobs()
    data = [(images[:60], labels[:60]), (images[60:], labels[60:])]
    model = small_model()
    seen = output_dtypes(model)
    sgd = torch.optim.SGD(model.parameters(), 0.1)
    fit(model, data, data, epochs=1, optimizer=sgd, verbose=False)
    assert seen == [torch.bfloat16] * 2 + [torch.float32] * 2
    seen.clear()
    fit(model, data, data, epochs=1, optimizer=sgd, amp=False, verbose=False)
    predict(model, images)
    assert seen == [torch.float32] * 5


@pytest.mark.parametrize(
    "hardware_bf16, expected", [(True, torch.bfloat16), (False, torch.float16)]
)
def test_bf16_only_where_the_gpu_has_it_in_hardware(
    monkeypatch, hardware_bf16, expected
):
    def supported(including_emulation=True):  # a T4 emulates bf16
        return hardware_bf16 or including_emulation

    monkeypatch.setattr(torch.cuda, "is_bf16_supported", supported)
    assert utils.train.autocast_dtype(torch.device("cuda")) == expected
    assert utils.train.autocast_dtype(torch.device("cpu")) is None
    assert utils.train.autocast_dtype(torch.device("mps")) is None


def test_reported_loss_and_accuracy_equal_a_recomputation_with_lr_zero():
    images, labels = blobs(110)
    model = small_model()
    train = TensorBatches(images, labels, batch_size=50)  # 50, 50, 10
    history = fit(
        model,
        train,
        train,
        epochs=2,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.0),
        verbose=False,
        progress=False,
    )
    loss, accuracy = by_hand(model, train)
    assert accuracy not in (0.0, 0.5, 1.0)  # a count that could be wrong
    assert history["train_loss"] == pytest.approx([loss, loss], rel=1e-6)
    assert history["train_acc"] == pytest.approx([accuracy] * 2)
    assert history["val_loss"] == pytest.approx([loss] * 2, rel=1e-6)
    assert history["val_acc"] == pytest.approx([accuracy] * 2)
    assert evaluate(model, train) == pytest.approx((loss, accuracy), rel=1e-6)


def test_fit_trains_and_validates_with_the_loss_it_is_given():
    images, labels = blobs(110)
    model = small_model()
    smoothed = nn.CrossEntropyLoss(label_smoothing=0.3)
    train = TensorBatches(images, labels, batch_size=50)
    frozen = torch.optim.SGD(model.parameters(), lr=0.0)
    history = fit(
        model, train, train, epochs=1, optimizer=frozen, loss_fn=smoothed
    )
    loss, _ = by_hand(model, train, smoothed)
    assert loss != pytest.approx(by_hand(model, train)[0], rel=1e-3)
    assert history["train_loss"] == pytest.approx([loss], rel=1e-6)
    assert history["val_loss"] == pytest.approx([loss], rel=1e-6)


def test_fit_learns_and_records_every_epoch(capsys):
    images, labels = blobs()
    model = small_model()
    train = TensorBatches(
        images[:100], labels[:100], batch_size=20, shuffle=True
    )
    val = TensorBatches(images[100:], labels[100:], batch_size=20)
    history = fit(
        model,
        train,
        val,
        epochs=4,
        optimizer=torch.optim.Adam(model.parameters(), 0.05),
        progress=False,
    )
    assert list(history) == [
        "epoch",
        "train_loss",
        "train_acc",
        "val_loss",
        "val_acc",
        "seconds",
    ]
    assert history["epoch"] == [1, 2, 3, 4]
    assert all(0 < s < 60 for s in history["seconds"])
    assert history["train_loss"][-1] < 0.5 * history["train_loss"][0]
    assert history["val_acc"][-1] >= 0.9 and model.training
    lines = capsys.readouterr().out.splitlines()
    last = history["train_loss"][-1], history["train_acc"][-1]
    assert len(lines) == 4
    assert lines[-1].startswith(
        f"epoch 4/4  train loss {last[0]:.4f} acc {last[1]:.2%}  |  val loss "
        f"{history['val_loss'][-1]:.4f} acc {history['val_acc'][-1]:.2%}  |  "
    )
    assert lines[-1].endswith(" s")


def test_without_validation_the_history_holds_nan_and_prints_none(capsys):
    images, labels = blobs(20)
    model = small_model()
    sgd = torch.optim.SGD(model.parameters(), 0.1)
    history = fit(model, [(images, labels)], epochs=1, optimizer=sgd)
    assert history["val_loss"][0] != history["val_loss"][0]  # NaN
    assert "val" not in capsys.readouterr().out


def test_scheduler_steps_once_per_epoch_after_the_epoch():
    images, labels = blobs()
    model = small_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    seen = []
    optimizer.register_step_pre_hook(
        lambda opt, *_: seen.append(opt.param_groups[0]["lr"])
    )
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1, gamma=0.5)
    fit(
        model,
        TensorBatches(images, labels, batch_size=60),
        epochs=3,
        optimizer=optimizer,
        scheduler=scheduler,
        verbose=False,
        progress=False,
    )
    # two batches per epoch, the rate halved after each epoch
    assert seen == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]


def test_predict_agrees_with_evaluate_and_both_restore_the_mode():
    images, labels = blobs()
    model = small_model(dropout=0.5)
    model.train()
    logits = predict(model, images, batch_size=7)
    assert model.training and logits.dtype == torch.float32
    assert logits.shape == (120, 2)
    # eval mode: no dropout, so the batch size does not matter
    torch.testing.assert_close(logits, predict(model, images))
    accuracy = (logits.argmax(1) == labels).float().mean().item()
    batches = TensorBatches(images, labels, batch_size=13)
    assert evaluate(model, batches)[1] == pytest.approx(accuracy)
    model.eval()
    evaluate(model, [(images, labels)])
    assert not model.training


def test_a_model_without_parameters_is_evaluated_on_the_cpu():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [3.0, 0.0]])
    labels = torch.tensor([0, 1, 1])
    _, accuracy = evaluate(nn.Identity(), [(logits, labels)])
    assert accuracy == pytest.approx(2 / 3)
    assert torch.equal(predict(nn.Identity(), logits), logits)


def test_predict_feeds_at_most_1024_images_at_once_by_default():
    sizes = []
    model = small_model()
    model.register_forward_hook(lambda m, inputs, o: sizes.append(len(o)))
    assert predict(model, torch.zeros(2049, 1, 4, 4)).shape == (2049, 2)
    assert sizes == [1024, 1024, 1]


def test_fit_never_wraps_the_model_in_data_parallel(monkeypatch):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 4)
    monkeypatch.setattr(
        nn, "DataParallel", lambda *a, **k: pytest.fail("DataParallel used")
    )
    images, labels = blobs(20)
    model = small_model()
    sgd = torch.optim.SGD(model.parameters(), 0.1)
    fit(model, [(images, labels)], epochs=1, optimizer=sgd, verbose=False)


def test_progress_bar_follows_the_environment(monkeypatch, capsys):
    images, labels = blobs(20)
    model = small_model()
    sgd = torch.optim.SGD(model.parameters(), 0.1)

    def bar(**options):
        fit(model, [(images, labels)], epochs=1, optimizer=sgd, **options)
        return capsys.readouterr().out.replace("epoch 1/1  train", "")

    monkeypatch.setenv("CNN_COURSE_PROGRESS", "0")
    assert "train" not in bar()
    assert "\rtrain: " in bar(progress=True)  # the argument wins
    monkeypatch.delenv("CNN_COURSE_PROGRESS")
    shown = bar(verbose=False)
    assert "\rtrain: " in shown  # a student sees the bar by default
    # ...and, once the epoch is over, a terminal shows no half-drawn bar
    assert shown.split("\r")[-1].strip() == ""
    assert "train" not in bar(progress=False)
    train_one_epoch(model, [(images, labels)], sgd)
    assert (
        capsys.readouterr().out == ""
    )  # train_one_epoch: no bar unless asked


def test_bad_input_is_a_clear_error():
    model = small_model()
    optimizer = torch.optim.SGD(model.parameters(), 0.1)
    batch = [(torch.zeros(1, 16), torch.zeros(1).long())]
    with pytest.raises(ValueError, match="epochs must be an int >= 1, got 0"):
        fit(model, batch, epochs=0, optimizer=optimizer)
    empty = "got no batches: is the data set empty"
    with pytest.raises(ValueError, match=f"^train_one_epoch {empty}"):
        fit(model, [], epochs=1, optimizer=optimizer, progress=False)
    with pytest.raises(ValueError, match=f"^train_one_epoch {empty}"):
        train_one_epoch(model, [], optimizer)
    with pytest.raises(ValueError, match=f"^evaluate {empty}"):
        evaluate(model, [], sums=True)
    with pytest.raises(ValueError, match="^predict got no images$"):
        predict(model, torch.zeros(0, 16))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_smoke_fit_evaluate_predict_agree():
    device = torch.device("cuda")
    images, labels = blobs()
    model = small_model().to(device)
    batches = TensorBatches(images, labels, batch_size=32, device=device)
    history = fit(
        model,
        batches,
        batches,
        epochs=2,
        optimizer=torch.optim.Adam(model.parameters(), 0.01),
        verbose=False,
        progress=False,
    )
    predictions = predict(model, images).argmax(1)
    accuracy = (predictions == labels).float().mean().item()
    assert (
        evaluate(model, batches)[1]
        == pytest.approx(accuracy)
        == pytest.approx(history["val_acc"][-1])
    )
