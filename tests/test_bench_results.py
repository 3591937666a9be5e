"""Stored results of the bench scripts agree with the models the chapters
define (the chapters print these files; they never parse them)."""

import json
from pathlib import Path

import course_models
import utils

RESULTS = Path(__file__).resolve().parent.parent / "bench" / "results"


def test_resnet_full_run_is_of_the_chapter_model():
    result = json.loads((RESULTS / "resnet_full_run.json").read_text())
    model = course_models.small_resnet()
    assert result["parameters"] == utils.count_parameters(model)
    assert len(result["val_by_epoch"]) == result["epochs"]
    assert all(0 < accuracy < 1 for accuracy in result["val_by_epoch"])
    assert 0 < result["test"] < 1
