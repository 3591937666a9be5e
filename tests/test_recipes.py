"""Chapter 11's training recipe (exported to course_models), against
references written by hand, and the stored speed run it produced."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import utils
from course_models import (
    BACKGROUND,
    FASHION_MEAN,
    FASHION_STD,
    Recipe,
    lr_factor,
    make_optimizer,
    one_cycle,
    shift_batch,
    shifted_views,
    standardize,
    train_recipe,
    tta_accuracy,
)

RESULTS = Path(__file__).resolve().parent.parent / "bench" / "results"


def test_standardize_maps_black_to_background_and_keeps_values():
    images = torch.tensor([[[0, 255], [51, 102]]], dtype=torch.uint8)
    out = standardize(images)
    expected = (images.numpy()[:, None] / 255 - FASHION_MEAN) / FASHION_STD
    assert out.shape == (1, 1, 2, 2)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
    assert out[0, 0, 0, 0].item() == pytest.approx(BACKGROUND)


def test_shift_batch_moves_every_image_by_whole_pixels():
    images = torch.arange(2 * 36, dtype=torch.float32).view(2, 1, 6, 6) + 10
    shifted = shift_batch(images, torch.Generator().manual_seed(0), 2)
    assert shifted.shape == images.shape
    for original, moved in zip(images.numpy(), shifted.numpy(), strict=True):
        # the moved image is the original, padded with background and cut
        padded = np.pad(original[0], 2, constant_values=BACKGROUND)
        matches = [
            (dy, dx)
            for dy in range(5)
            for dx in range(5)
            if np.array_equal(padded[dy : dy + 6, dx : dx + 6], moved[0])
        ]
        assert len(matches) == 1


def test_shift_batch_draws_different_offsets_for_different_images():
    images = torch.rand(64, 1, 8, 8) + 5  # no pixel equals the background
    shifted = shift_batch(images, torch.Generator().manual_seed(1), 2)
    # the number of background rows and columns differs between images
    background = (shifted == BACKGROUND).flatten(1).sum(1)
    assert len(set(background.tolist())) > 3
    assert (background == 0).any() and (background > 0).any()


def test_one_cycle_rises_then_falls_linearly():
    factors = [one_cycle(step, 10, warmup=0.2) for step in range(11)]
    expected = [0, 0.5, 1, 7 / 8, 6 / 8, 5 / 8, 4 / 8, 3 / 8, 2 / 8, 1 / 8, 0]
    assert factors == pytest.approx(expected)


def test_step_and_constant_schedules_and_a_bad_name():
    step = Recipe(schedule="step")
    assert [lr_factor(step, s, 8) for s in (0, 3, 4, 5, 6, 7)] == (
        pytest.approx([1, 1, 0.1, 0.1, 0.01, 0.01])
    )
    assert lr_factor(Recipe(schedule="constant"), 5, 8) == 1.0
    with pytest.raises(ValueError, match="unknown schedule 'cosine'"):
        lr_factor(Recipe(schedule="cosine"), 0, 8)


def test_shifted_views_are_one_pixel_moves():
    images = torch.arange(16.0).view(1, 1, 4, 4)
    views = shifted_views(images, 5)
    assert len(views) == 5 and torch.equal(views[0], images)
    right, left, down, up = (v[0, 0] for v in views[1:])
    assert torch.equal(right[:, 1:], images[0, 0, :, :-1])
    assert torch.equal(left[:, :-1], images[0, 0, :, 1:])
    assert torch.equal(down[1:], images[0, 0, :-1])
    assert torch.equal(up[:-1], images[0, 0, 1:])
    assert (right[:, 0] == BACKGROUND).all()


def test_tta_with_one_view_is_plain_accuracy_and_restores_the_mode():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(16, 3))
    images, labels = torch.rand(50, 1, 4, 4), torch.randint(0, 3, (50,))
    model.train()
    accuracy = tta_accuracy(model, images, labels, views=1, batch_size=7)
    _, reference = utils.evaluate(model, [(images, labels)])
    assert accuracy == pytest.approx(reference)
    assert model.training


def test_weight_decay_spares_biases_and_batch_norm():
    model = utils.VGGStyleNet(widths=(4,))
    optimizer = make_optimizer(Recipe(weight_decay=0.1), model)
    decayed = {
        id(p)
        for g in optimizer.param_groups
        if g["weight_decay"]
        for p in g["params"]
    }
    for name, parameter in model.named_parameters():
        assert (id(parameter) in decayed) == (parameter.ndim > 1), name
    with pytest.raises(ValueError, match="unknown optimizer 'adam'"):
        make_optimizer(Recipe(optimizer="adam"), model)


def reference_run(recipe, images, labels, seed):
    """The recipe's loop written out plainly: Nesterov SGD by hand."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = utils.VGGStyleNet(widths=recipe.widths)
    velocity = {p: torch.zeros_like(p) for p in model.parameters()}
    steps = recipe.epochs * -(-len(images) // recipe.batch_size)
    step = 0
    for _ in range(recipe.epochs):
        order = torch.randperm(len(images), generator=generator)
        for first in range(0, len(images), recipe.batch_size):
            index = order[first : first + recipe.batch_size]
            x = shift_batch(images[index], generator, recipe.max_shift)
            loss = nn.functional.cross_entropy(
                model(x), labels[index], label_smoothing=0.1
            )
            model.zero_grad()
            loss.backward()
            lr = recipe.lr * one_cycle(step, steps, recipe.warmup)
            with torch.no_grad():
                for p in model.parameters():
                    decay = recipe.weight_decay if p.ndim > 1 else 0.0
                    g = p.grad + decay * p
                    velocity[p] = 0.9 * velocity[p] + g
                    p -= lr * (g + 0.9 * velocity[p])
            step += 1
    return model


def test_train_recipe_matches_nesterov_sgd_written_by_hand():
    recipe = Recipe(epochs=2, batch_size=8, widths=(4, 8), lr=0.05)
    images = standardize(
        torch.randint(0, 256, (20, 28, 28), dtype=torch.uint8)
    )
    labels = torch.randint(0, 10, (20,))
    model, history = train_recipe(recipe, images, labels, seed=3)
    reference = reference_run(recipe, images, labels, seed=3)
    for ours, theirs in zip(
        model.state_dict().values(),
        reference.state_dict().values(),
        strict=True,
    ):
        torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-5)
    assert [row["epoch"] for row in history] == [1, 2]


def test_train_recipe_stops_at_the_budget_and_averages_weights():
    recipe = Recipe(epochs=5, batch_size=10, widths=(4,), ema=0.5)
    images = standardize(
        torch.randint(0, 256, (20, 28, 28), dtype=torch.uint8)
    )
    labels = torch.randint(0, 10, (20,))
    model, history = train_recipe(
        recipe, images, labels, val=(images, labels), budget_s=0.0
    )
    assert len(history) == 1 and "budget" in history[0]["stopped"]
    assert 0 <= history[0]["val_accuracy"] <= 1
    trained, _ = train_recipe(
        dataclasses.replace(recipe, ema=0.0), images, labels, budget_s=0.0
    )
    # two steps of averaging from the start: not the last weights
    assert not torch.equal(model.classifier.weight, trained.classifier.weight)


def test_stored_speedrun_is_of_the_exported_recipe():
    result = json.loads((RESULTS / "speedrun.json").read_text())
    stored = dict(result["recipe"], widths=tuple(result["recipe"]["widths"]))
    assert stored == dataclasses.asdict(Recipe(bf16=True))
    assert len(result["runs"]) >= 3
    for run in result["runs"]:
        epochs = [row["epoch"] for row in run["history"]]
        assert epochs == list(range(1, run["epochs_run"] + 1))
        seconds = [row["seconds"] for row in run["history"]]
        assert seconds == sorted(seconds) and seconds[-1] < run["seconds"]
        assert 0.1 < run["test_accuracy_tta"] < 1


def test_earlier_speedrun_log_has_the_stored_accuracies():
    # the training is deterministic on this CPU: an earlier run of the same
    # script printed the same accuracies (only its seconds differ)
    result = json.loads((RESULTS / "speedrun.json").read_text())
    log = (RESULTS / "speedrun_first_run.txt").read_text()
    for run in result["runs"]:
        line = next(
            row
            for row in log.splitlines()
            if row.startswith(f"seed {run['seed']}:")
        )
        assert line.endswith(
            f"test {run['test_accuracy']:.2%}, "
            f"with TTA {run['test_accuracy_tta']:.2%}"
        )
