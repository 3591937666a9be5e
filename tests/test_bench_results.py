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


def test_lenet_full_run_json_is_the_stored_log():
    result = json.loads((RESULTS / "lenet_full_run.json").read_text())
    log = (RESULTS / "lenet_full_run.txt").read_text()
    assert f"command: {result['command']}" in log
    for name, runs in result["runs"].items():
        assert name in {"classic", "modern", "deep"}
        for run in runs:
            curve = " ".join(f"{a:.2%}" for a in run["val_by_epoch"])
            line = (
                f"{name:<8} seed {run['seed']}: validation by epoch {curve}; "
                f"test {run['test']:.2%};"
            )
            assert line in log
            assert len(run["val_by_epoch"]) == result["epochs"]


def test_lenet_full_run_models_are_the_chapter_models():
    model = course_models.LeNet5(modern=True)
    assert utils.count_parameters(model) == 61_706
    assert utils.count_parameters(course_models.deep_cnn()) > 3_000_000
