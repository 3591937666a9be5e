"""Self-checking exercises: ``check(exercise, answer)`` says "correct" or
hints what is wrong."""

import base64
import json
import math
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

NUMERIC = (int, float, np.number, np.ndarray, torch.Tensor)


def encode(value: Any) -> str:
    """Encode an answer for ``utils/exercises/*.json``, so that a glance
    does not give it away.

    >>> encode(12)
    'eJwzNAIAAJYAZA=='
    """
    return base64.b64encode(zlib.compress(json.dumps(value).encode())).decode()


def _hint(
    answer: torch.Tensor, expected: torch.Tensor, rtol: float, atol: float
) -> str:
    """'' if they agree, else what is wrong, without revealing ``expected``."""
    if answer.shape != expected.shape:
        return f"the shape {tuple(answer.shape)} is not the expected shape"
    close = lambda a: torch.allclose(a, expected, rtol=rtol, atol=atol)  # noqa: E731
    if close(answer):
        return ""
    if close(-answer):
        return "the sign is wrong"
    for factor in (2, 4, 10, 100, 1000):
        for scale, direction in ((1 / factor, "large"), (factor, "small")):
            if close(answer * scale):
                return f"off by a factor of {factor} (too {direction})"
    if answer.ndim == 2 and close(answer.T):
        return "you have the transpose"
    if answer.numel() == 1:
        return f"too {'large' if answer.item() > expected.item() else 'small'}"
    error = (answer - expected).abs().max().item()
    return (
        f"outside the tolerance: largest error {error:.3g} "
        f"(allowed {atol} + {rtol}·|value|)"
    )


def _judge(
    kind: str, expected: Any, answer: Any, rtol: float, atol: float
) -> str:
    if kind == "shape":
        if not isinstance(answer, tuple | list) or not all(
            type(n) is int for n in answer
        ):
            return (
                "expected a shape, a tuple of ints such as (1, 3, 28, 28); "
                f"got {answer!r}"
            )
        if len(answer) != len(expected):
            return (
                f"your shape has {len(answer)} dimensions, "
                f"the answer {len(expected)}"
            )
        wrong = [
            str(i)
            for i, (a, b) in enumerate(zip(answer, expected, strict=True))
            if a != b
        ]
        return f"dimension {', '.join(wrong)} is wrong" if wrong else ""
    if kind == "function":
        if not callable(answer):
            return f"expected a function, got {type(answer).__name__}"
        reference = eval(
            expected["reference"], {"torch": torch, "F": F, "math": math}
        )
        for _ in range(3):  # fresh random inputs each time
            inputs = [
                torch.randn(spec["shape"])
                if "shape" in spec
                else spec["value"]
                for spec in expected["inputs"]
            ]
            try:
                result = answer(*inputs)
            except Exception as error:  # the reader's code: report, not crash
                return f"your function raised {type(error).__name__}: {error}"
            if hint := _judge(
                "tensor", reference(*inputs), result, rtol, atol
            ):
                return f"on random inputs, {hint}"
        return ""
    if isinstance(answer, bool) or not isinstance(answer, NUMERIC):
        return f"expected a {kind}, got {type(answer).__name__}"
    expected = torch.as_tensor(expected, dtype=torch.float64)
    return _hint(
        torch.as_tensor(answer, dtype=torch.float64).detach().cpu(),
        expected,
        rtol,
        atol,
    )


def check(exercise: str, answer: Any) -> bool:
    """Print "correct", or "not yet" and a hint, for ``answer`` (a number, a
    shape, a tensor, or a function, tried on fresh random inputs against a
    reference) to ``exercise``.

    >>> check("utils-demo-area", 12), check("utils-demo-area", -12)
    correct
    not yet: the sign is wrong
    (True, False)
    """
    known = {
        k: v
        for p in (Path(__file__).parent / "exercises").glob("*.json")
        for k, v in json.loads(p.read_text()).items()
    }
    if exercise not in known:
        raise ValueError(
            f"there is no exercise {exercise!r}: copy the id from the "
            "exercise text"
        )
    spec = known[exercise]
    expected = json.loads(zlib.decompress(base64.b64decode(spec["answer"])))
    hint = _judge(
        spec["kind"],
        expected,
        answer,
        spec.get("rtol", 1e-4),
        spec.get("atol", 1e-6),
    )
    print(f"not yet: {hint}" if hint else "correct")
    return not hint
