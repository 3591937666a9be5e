"""Every self-checking exercise of the course accepts its reference solution
and answers typical wrong answers with the intended hint, never with a
traceback."""

import base64
import json
import math
import zlib
from pathlib import Path

import pytest
import torch
from torch.nn import functional as F

from utils import check
from utils.exercises import encode

FOLDER = Path(__file__).resolve().parent.parent / "utils" / "exercises"
EXERCISES = {
    key: spec
    for path in sorted(FOLDER.glob("*.json"))
    for key, spec in json.loads(path.read_text()).items()
}


def solution(spec):
    answer = json.loads(zlib.decompress(base64.b64decode(spec["answer"])))
    if spec["kind"] == "function":
        return eval(
            answer["reference"], {"torch": torch, "F": F, "math": math}
        )
    return (
        torch.tensor(answer, dtype=torch.float64)
        if spec["kind"] == "tensor"
        else answer
    )


def said(capsys):
    return capsys.readouterr().out.strip()


@pytest.mark.parametrize("exercise", sorted(EXERCISES))
def test_reference_solution_passes_and_wrong_answers_get_hints(
    exercise, capsys
):
    spec, answer = EXERCISES[exercise], solution(EXERCISES[exercise])
    assert spec["kind"] in {"number", "shape", "tensor", "function"}
    assert check(exercise, answer) and said(capsys) == "correct"
    # the wrong type
    assert not check(exercise, "forty-two") and "expected a" in said(capsys)
    if (
        spec["kind"] in {"number", "tensor"}
        and torch.as_tensor(answer).abs().max() > 1e-3
    ):
        assert not check(exercise, answer * 10)
        assert said(capsys) == "not yet: off by a factor of 10 (too large)"
        assert not check(
            exercise,
            -torch.as_tensor(answer) if spec["kind"] == "tensor" else -answer,
        )
        assert said(capsys) == "not yet: the sign is wrong"
    if spec["kind"] == "shape":
        assert not check(
            exercise, tuple(answer) + (1,)
        ) and "dimensions" in said(capsys)
        wrong = [answer[0] + 1, *answer[1:]]
        assert (
            not check(exercise, wrong)
            and said(capsys) == "not yet: dimension 0 is wrong"
        )
    if spec["kind"] == "function":
        assert not check(exercise, lambda *args: -answer(*args))
        assert said(capsys) == "not yet: on random inputs, the sign is wrong"
        assert not check(exercise, lambda *args: 1 / 0)
        raised = "your function raised ZeroDivisionError: division by zero"
        assert said(capsys) == f"not yet: {raised}"


def test_the_hints_for_each_kind_of_mistake(tmp_path, monkeypatch, capsys):
    specs = {
        "n": {"kind": "number", "answer": encode(12.5)},
        "s": {"kind": "shape", "answer": encode([1, 6, 24, 24])},
        "t": {
            "kind": "tensor",
            "answer": encode([[1.0, 2.0], [3.0, 4.0]]),
            "atol": 1e-3,
        },
        "f": {
            "kind": "function",
            "answer": encode(
                {
                    "reference": "lambda x, k: x.sum() * k",
                    "inputs": [{"shape": [3, 4]}, {"value": 2}],
                }
            ),
        },
    }
    (tmp_path / "exercises").mkdir()
    (tmp_path / "exercises" / "t.json").write_text(json.dumps(specs))
    monkeypatch.setattr(
        "utils.exercises.__file__", str(tmp_path / "exercises.py")
    )
    cases = [
        ("n", 12.5, "correct"),
        ("n", 12.50001, "correct"),
        ("n", 25, "not yet: off by a factor of 2 (too large)"),
        ("n", 1.25, "not yet: off by a factor of 10 (too small)"),
        ("n", 13, "not yet: too large"),
        ("n", 11.9, "not yet: too small"),
        ("n", True, "not yet: expected a number, got bool"),
        (
            "n",
            torch.tensor([12.5, 1]),
            "not yet: the shape (2,) is not the expected shape",
        ),
        ("s", torch.Size([1, 6, 24, 24]), "correct"),
        (
            "s",
            (1, 6, 24),
            "not yet: your shape has 3 dimensions, the answer 4",
        ),
        ("s", (1, 6, 26, 26), "not yet: dimension 2, 3 is wrong"),
        (
            "s",
            24,
            "not yet: expected a shape, a tuple of ints such as "
            "(1, 3, 28, 28); got 24",
        ),
        (
            "t",
            torch.tensor([[1.0, 3.0], [2.0, 4.0]]),
            "not yet: you have the transpose",
        ),
        (
            "t",
            torch.tensor([[1.0, 2.0], [3.0, 4.1]]),
            "not yet: outside the tolerance: largest error 0.1 "
            "(allowed 0.001 + 0.0001·|value|)",
        ),
        ("t", [[1, 2], [3, 4]], "not yet: expected a tensor, got list"),
        ("f", lambda x, k: x.sum() * k, "correct"),
        (
            "f",
            lambda x, k: x.sum(),
            "not yet: on random inputs, off by a factor of 2 (too small)",
        ),
        ("f", 3, "not yet: expected a function, got int"),
        (
            "f",
            lambda x, k: "text",
            "not yet: on random inputs, expected a tensor, got str",
        ),
    ]
    for exercise, answer, expected in cases:
        check(exercise, answer)
        assert said(capsys) == expected, (exercise, answer)
    with pytest.raises(ValueError) as raised:
        check("nope", 1)
    assert str(raised.value) == (
        "there is no exercise 'nope': copy the id from the exercise text"
    )


def test_check_uses_the_stored_tolerances_and_names_every_factor(
    tmp_path, monkeypatch, capsys
):
    specs = {
        "loose": {
            "kind": "number",
            "answer": encode(10.0),
            "rtol": 0.1,
            "atol": 0.0,
        },
        "abs": {
            "kind": "number",
            "answer": encode(0.0),
            "rtol": 0,
            "atol": 0.5,
        },
        "big": {"kind": "number", "answer": encode(3.0)},
        "fn": {
            "kind": "function",
            "answer": encode(
                {
                    "reference": "lambda x: F.relu(x) * math.pi",
                    "inputs": [{"shape": [5]}],
                }
            ),
        },
    }
    (tmp_path / "exercises").mkdir()
    (tmp_path / "exercises" / "t.json").write_text(json.dumps(specs))
    monkeypatch.setattr(
        "utils.exercises.__file__", str(tmp_path / "exercises.py")
    )
    assert check("loose", 10.5) and check("abs", 0.4)  # within rtol / atol
    assert not check("loose", 11.5) and not check("abs", 0.6)
    capsys.readouterr()
    for factor in (2, 4, 10, 100, 1000):
        check("big", 3.0 * factor)
        assert (
            said(capsys) == f"not yet: off by a factor of {factor} (too large)"
        )
    check("big", 3.5)
    assert said(capsys) == "not yet: too large"
    calls = []
    pi = 3.141592653589793
    assert check("fn", lambda x: calls.append(1) or torch.relu(x) * pi)
    assert len(calls) == 3  # three fresh random inputs
