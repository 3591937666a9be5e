import pytest
import torch
from torch import nn

import utils.train
from utils import TensorBatches, evaluate, fit, predict, seed_everything


def blobs(count=120, seed=0):
    """Two Gaussian blobs in 4x4 'images': a problem a small net learns in a few epochs."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 2, (count,), generator=generator)
    images = torch.randn(count, 1, 4, 4, generator=generator) + (labels.float() * 2 - 1).view(
        -1, 1, 1, 1
    )
    return images, labels


def small_model():
    seed_everything(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 2))


def by_hand(model, batches):
    """Mean cross-entropy and accuracy, example-weighted, computed without utils."""
    with torch.no_grad():
        pairs = [(model(x), y) for x, y in batches]
    logits, labels = torch.cat([p[0] for p in pairs]), torch.cat([p[1] for p in pairs])
    return nn.functional.cross_entropy(logits, labels).item(), (
        logits.argmax(1) == labels
    ).float().mean().item()


def test_reported_loss_and_accuracy_equal_a_recomputation_with_lr_zero():
    images, labels = blobs()
    model, train = small_model(), TensorBatches(images, labels, batch_size=50)  # 50, 50, 20
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
    assert history["train_loss"] == pytest.approx([loss, loss], rel=1e-6)
    assert history["train_acc"] == pytest.approx([accuracy] * 2)
    assert history["val_loss"] == pytest.approx([loss] * 2, rel=1e-6)
    assert history["val_acc"] == pytest.approx([accuracy] * 2)
    assert evaluate(model, train) == pytest.approx((loss, accuracy), rel=1e-6)


def test_fit_learns_and_records_every_epoch(capsys):
    images, labels = blobs()
    model = small_model()
    train = TensorBatches(images[:100], labels[:100], batch_size=20, shuffle=True)
    val = TensorBatches(images[100:], labels[100:], batch_size=20)
    history = fit(
        model,
        train,
        val,
        epochs=4,
        optimizer=torch.optim.Adam(model.parameters(), 0.05),
        progress=False,
    )
    assert list(history) == ["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "seconds"]
    assert history["epoch"] == [1, 2, 3, 4] and all(s > 0 for s in history["seconds"])
    assert history["train_loss"][-1] < 0.5 * history["train_loss"][0]
    assert history["val_acc"][-1] >= 0.9 and model.training
    lines = capsys.readouterr().out.splitlines()
    assert (
        len(lines) == 4 and lines[0].startswith("epoch 1/4  train loss ") and "val loss" in lines[0]
    )
    assert f"acc {history['val_acc'][-1]:.2%}" in lines[-1]


def test_scheduler_steps_once_per_epoch_after_the_epoch():
    images, labels = blobs()
    model = small_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    seen = []
    optimizer.register_step_pre_hook(lambda opt, *_: seen.append(opt.param_groups[0]["lr"]))
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    fit(
        model,
        TensorBatches(images, labels, batch_size=60),
        epochs=3,
        optimizer=optimizer,
        scheduler=scheduler,
        verbose=False,
        progress=False,
    )
    assert seen == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]  # two batches per epoch, halved after each
    assert scheduler.last_epoch == 3


def test_predict_agrees_with_evaluate_and_both_restore_the_mode():
    images, labels = blobs()
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 8), nn.Dropout(0.5), nn.Linear(8, 2))
    model.train()
    logits = predict(model, images, batch_size=7)
    assert model.training and logits.dtype == torch.float32 and logits.shape == (120, 2)
    assert torch.allclose(logits, predict(model, images), atol=1e-6)  # eval mode: no dropout
    accuracy = (logits.argmax(1) == labels).float().mean().item()
    assert evaluate(model, TensorBatches(images, labels, batch_size=13))[1] == pytest.approx(
        accuracy
    )
    model.eval()
    evaluate(model, [(images, labels)])
    assert not model.training


def test_evaluation_never_uses_autocast_and_amp_false_means_none_anywhere(monkeypatch):
    """On a GPU, autocast in evaluate made it disagree with predict: pretend to be one."""
    calls = []
    real_autocast = torch.autocast

    def recording_autocast(device_type, dtype=None, enabled=True, **kwargs):
        calls.append(enabled)
        return real_autocast(device_type, dtype=torch.bfloat16, enabled=False)

    monkeypatch.setattr(torch, "autocast", recording_autocast)
    monkeypatch.setattr(utils.train, "autocast_dtype", lambda device: torch.bfloat16)
    images, labels = blobs()
    model = small_model()
    evaluate(model, [(images, labels)])
    predict(model, images)
    assert calls == []  # evaluation and prediction are float32 everywhere
    data = [(images[:60], labels[:60]), (images[60:], labels[60:])]
    fit(
        model,
        data,
        data,
        epochs=1,
        optimizer=torch.optim.SGD(model.parameters(), 0.1),
        amp=False,
        verbose=False,
        progress=False,
    )
    assert calls == [False, False]  # amp=False: no autocast in training or validation
    fit(
        model,
        data,
        data,
        epochs=1,
        optimizer=torch.optim.SGD(model.parameters(), 0.1),
        verbose=False,
        progress=False,
    )
    assert calls == [False, False, True, True]  # training alone runs under autocast


@pytest.mark.parametrize(
    "hardware_bf16, expected", [(True, torch.bfloat16), (False, torch.float16)]
)
def test_bf16_only_where_the_gpu_has_it_in_hardware(monkeypatch, hardware_bf16, expected):
    asked = []

    def supported(including_emulation=True):
        asked.append(including_emulation)
        return hardware_bf16 or including_emulation  # a T4: emulated bf16 only

    monkeypatch.setattr(torch.cuda, "is_bf16_supported", supported)
    assert utils.train.autocast_dtype(torch.device("cuda")) == expected
    assert asked == [False]
    assert utils.train.autocast_dtype(torch.device("cpu")) is None
    assert utils.train.autocast_dtype(torch.device("mps")) is None


def test_fit_never_wraps_the_model_in_data_parallel(monkeypatch):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 4)
    monkeypatch.setattr(nn, "DataParallel", lambda *a, **k: pytest.fail("DataParallel was used"))
    images, labels = blobs(20)
    model = small_model()
    fit(
        model,
        [(images, labels)],
        epochs=1,
        optimizer=torch.optim.SGD(model.parameters(), 0.1),
        verbose=False,
        progress=False,
    )


def test_progress_bar_follows_the_environment(monkeypatch, capsys):
    images, labels = blobs(20)
    model = small_model()

    def run():
        fit(
            model,
            [(images, labels)],
            epochs=1,
            verbose=False,
            optimizer=torch.optim.SGD(model.parameters(), 0.1),
        )

    monkeypatch.setenv("CNN_COURSE_PROGRESS", "0")
    run()
    assert capsys.readouterr().out == ""
    monkeypatch.delenv("CNN_COURSE_PROGRESS")
    run()
    assert "epoch 1/1" in capsys.readouterr().out  # a student sees the bar by default


def test_bad_input_is_a_clear_error():
    model = small_model()
    optimizer = torch.optim.SGD(model.parameters(), 0.1)
    with pytest.raises(ValueError, match="epochs must be an int >= 1, got 0"):
        fit(model, [(torch.zeros(1, 16), torch.zeros(1).long())], epochs=0, optimizer=optimizer)
    with pytest.raises(ValueError, match="^train produced no batches: is the data set empty"):
        fit(model, [], epochs=1, optimizer=optimizer, progress=False)
    with pytest.raises(ValueError, match="^evaluate got no batches: is the data set empty"):
        evaluate(model, [])
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
    accuracy = (predict(model, images).argmax(1) == labels).float().mean().item()
    assert (
        evaluate(model, batches)[1]
        == pytest.approx(accuracy)
        == pytest.approx(history["val_acc"][-1])
    )
