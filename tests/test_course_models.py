"""course_models.py is what the chapters' cells tagged ``export`` hold: one
source for every model used in more than one place."""

import torch

import course_models
from notebook_tools import ROOT, exported_models, ruff_formatted


def test_course_models_is_up_to_date_with_the_chapters():
    chapters = sorted((ROOT / "chapters").glob("*.ipynb"))
    expected = ruff_formatted(exported_models(chapters))
    assert (ROOT / "course_models.py").read_text() == expected, (
        "course_models.py differs from the chapters' export cells: run "
        "python scripts/notebook_tools.py export"
    )


def test_the_exported_models_run():
    model = course_models.FashionDNN()
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
