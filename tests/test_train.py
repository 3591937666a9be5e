import math

import pytest
import torch
from torch import nn

from utils import TensorBatches, evaluate, fit, predict, seed_everything


def blobs(count=400, seed=0):
    """Two Gaussian blobs in 8x8 'images': a problem a small net learns in a few epochs."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 2, (count,), generator=generator)
    images = torch.randn(count, 1, 8, 8, generator=generator) + (labels.float() * 2 - 1).view(
        -1, 1, 1, 1
    )
    return images, labels


def small_model():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(256, 2))


def test_fit_drives_the_loss_down_and_returns_a_history(capsys):
    seed_everything(0)
    images, labels = blobs()
    train = TensorBatches(images[:300], labels[:300], batch_size=32, shuffle=True)
    val = TensorBatches(images[300:], labels[300:], batch_size=100)
    model = small_model()
    history = fit(
        model,
        train,
        val,
        epochs=4,
        optimizer=torch.optim.Adam(model.parameters(), 1e-2),
        progress=False,
    )
    assert list(history) == ["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "seconds"]
    assert history["epoch"] == [1, 2, 3, 4]
    assert history["train_loss"][-1] < 0.5 * history["train_loss"][0]
    assert history["val_acc"][-1] > 0.9
    assert model.training  # fit leaves the model ready to train again
    assert capsys.readouterr().out.count("epoch ") == 4


def test_fit_is_reproducible():
    def run():
        seed_everything(1)
        images, labels = blobs()
        model = small_model()
        return fit(
            model,
            TensorBatches(images, labels, batch_size=50, shuffle=True, seed=1),
            epochs=2,
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
            progress=False,
            verbose=False,
        )["train_loss"]

    assert run() == run()


def test_fit_works_with_a_dataloader():
    images, labels = blobs(64)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(images, labels), batch_size=16
    )
    model = small_model()
    history = fit(
        model,
        loader,
        loader,
        epochs=1,
        optimizer=torch.optim.Adam(model.parameters()),
        progress=False,
        verbose=False,
    )
    assert len(history["val_acc"]) == 1 and 0 <= history["val_acc"][0] <= 1


def test_evaluate_and_predict_restore_mode():
    images, labels = blobs(50)
    model = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(64, 2))
    model.train()
    loss, accuracy = evaluate(model, TensorBatches(images, labels, batch_size=20))
    assert math.isfinite(loss) and 0 <= accuracy <= 1 and model.training
    first, second = predict(model, images), predict(model, images)
    assert torch.equal(first, second)  # eval mode: dropout off, so predictions are repeatable
    model.eval()
    predict(model, images)
    assert not model.training


@pytest.mark.parametrize("epochs", [0, -1, 1.5])
def test_fit_rejects_bad_epochs(epochs):
    images, labels = blobs(10)
    model = small_model()
    with pytest.raises(ValueError, match="epochs"):
        fit(
            model,
            TensorBatches(images, labels),
            epochs=epochs,
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        )


def test_fit_rejects_empty_data():
    model = small_model()
    empty = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.zeros(0, 1, 8, 8), torch.zeros(0).long())
    )
    with pytest.raises(ValueError, match="no batches"):
        fit(model, empty, epochs=1, optimizer=torch.optim.SGD(model.parameters(), lr=0.1))


def test_fit_rejects_model_on_another_device():
    images, labels = blobs(10)
    batches = TensorBatches(images, labels)
    batches.device = torch.device("cuda")  # pretend the data lives on a GPU
    model = small_model()
    with pytest.raises(ValueError, match=r"model is on cpu .* model.to\('cuda'\)"):
        fit(model, batches, epochs=1, optimizer=torch.optim.SGD(model.parameters(), lr=0.1))


def test_fit_rejects_a_model_without_parameters():
    images, labels = blobs(10)
    with pytest.raises(ValueError, match="no parameters"):
        fit(nn.Flatten(), TensorBatches(images, labels), epochs=1, optimizer=None)


def test_predict_rejects_empty_input():
    with pytest.raises(ValueError, match="no images"):
        predict(small_model(), torch.zeros(0, 1, 8, 8))
