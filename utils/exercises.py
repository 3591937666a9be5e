"""Self-checking exercises: ``check(exercise, answer)`` says "correct" or hints what is wrong.

Expected answers live in ``utils/exercises/*.json``, encoded so that a glance does not give
them away; the checker never prints them. An answer is a number, a shape, a tensor, or a
function, which is called on fresh random inputs and compared with a reference.
"""

from __future__ import annotations

import base64
import json
import math
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

FACTORS = (2, 4, 10, 100, 1000)


def encode(value: Any) -> str:
    """Hide a JSON value from a glance (not from a determined reader).

    >>> decode(encode([1, 2.5]))
    [1, 2.5]
    """
    return base64.b64encode(zlib.compress(json.dumps(value).encode())).decode()


def decode(text: str) -> Any:
    return json.loads(zlib.decompress(base64.b64decode(text)))


def exercises() -> dict[str, dict]:
    """Every exercise of the course, by id, read from ``utils/exercises/*.json``."""
    found: dict[str, dict] = {}
    for path in sorted((Path(__file__).parent / "exercises").glob("*.json")):
        found.update(json.loads(path.read_text()))
    return found


def _compare(answer: torch.Tensor, expected: torch.Tensor, rtol: float, atol: float) -> str:
    """'' when they agree, else a hint that does not reveal ``expected``."""
    if tuple(answer.shape) != tuple(expected.shape):
        return f"the shape is {tuple(answer.shape)}, which is not the expected shape"
    close = lambda a: bool(torch.allclose(a, expected, rtol=rtol, atol=atol))  # noqa: E731
    if close(answer):
        return ""
    if close(-answer):
        return "the sign is wrong"
    for factor in FACTORS:
        if close(answer / factor) or close(answer * factor):
            return f"off by a factor of {factor} (too {'large' if close(answer / factor) else 'small'})"
    if answer.ndim == 2 and answer.shape[0] == answer.shape[1] and close(answer.T):
        return "you have the transpose"
    error = (answer - expected).abs().max().item()
    if expected.numel() == 1:
        return f"too {'large' if (answer - expected).sum() > 0 else 'small'}"
    return f"not within the tolerance (largest error {error:.3g}; allowed {atol} + {rtol} x |value|)"


def _as_tensor(value: Any) -> torch.Tensor | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.ndarray, np.number,
                                                         torch.Tensor)):  # fmt: skip
        return None
    return torch.as_tensor(value, dtype=torch.float64).detach().cpu()


def _random_inputs(specs: list[dict], generator: torch.Generator) -> list[Any]:
    """Fresh inputs: ``{"shape": [...]}`` (normal floats) or ``{"value": x}`` (a constant)."""
    return [torch.randn(spec["shape"], generator=generator) if "shape" in spec else spec["value"]
            for spec in specs]  # fmt: skip


def _judge(spec: dict, answer: Any) -> str:
    expected, kind = decode(spec["answer"]), spec["kind"]
    rtol, atol = spec.get("rtol", 1e-4), spec.get("atol", 1e-6)
    if kind == "shape":
        if not isinstance(answer, (tuple, list, torch.Size)) or not all(
                isinstance(n, int) and not isinstance(n, bool) for n in answer):  # fmt: skip
            return f"expected a shape (a tuple of ints such as (1, 3, 28, 28)), got {answer!r}"
        if len(answer) != len(expected):
            return f"the shape has {len(answer)} dimensions; the answer has {len(expected)}"
        wrong = [str(i) for i, (a, b) in enumerate(zip(answer, expected, strict=True)) if a != b]
        return f"dimension {', '.join(wrong)} is wrong" if wrong else ""
    if kind == "function":
        if not callable(answer):
            return f"expected a function, got {type(answer).__name__}"
        reference: Callable = eval(expected["reference"], {"torch": torch, "F": F, "math": math})
        generator = torch.Generator().manual_seed(int(torch.randint(0, 2**31, ())))
        for _ in range(spec.get("trials", 3)):
            inputs = _random_inputs(expected["inputs"], generator)
            try:
                result = _as_tensor(answer(*inputs))
            except Exception as error:  # the reader's code: report, do not crash
                return f"your function raised {type(error).__name__}: {error}"
            if result is None:
                return "your function must return a tensor or a number"
            hint = _compare(result, _as_tensor(reference(*inputs)), rtol, atol)
            if hint:
                return f"on random inputs {hint}"
        return ""
    value = _as_tensor(answer)
    if value is None:
        return f"expected a {'number' if kind == 'number' else 'tensor'}, got {type(answer).__name__}"
    return _compare(value, torch.as_tensor(expected, dtype=torch.float64), rtol, atol)


def check(exercise: str, answer: Any) -> bool:
    """Print whether ``answer`` solves ``exercise`` (with a hint when it does not).

    >>> check("utils-demo-area", 12)
    correct
    True
    >>> check("utils-demo-area", -12)
    not yet: the sign is wrong
    False
    """
    known = exercises()
    if exercise not in known:
        raise ValueError(f"no exercise {exercise!r}; the ids are printed above each exercise")
    hint = _judge(known[exercise], answer)
    print(f"not yet: {hint}" if hint else "correct")
    return not hint
