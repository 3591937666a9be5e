"""An in-page convolution playground: ``conv_playground(...)`` returns a
self-contained widget.

    from playground import conv_playground
    # the 5×5 "X" image, Sobel x
    conv_playground()
    # the lecture's 7×7, stride 3
    conv_playground(input="lecture7", kernel="box", stride=3)

The widget is plain HTML + JavaScript with no dependency and no network
access, so it works on the built static site, in Jupyter and in Colab. Its
JavaScript and CSS are read from this package's files when the cell runs and
inlined into the cell's output. The output also embeds reference results that
PyTorch (``F.pad`` + ``F.conv2d``) computes for several settings; the site's
browser check (``scripts/check_site.py``) drives the widget to those settings
and compares the numbers it displays with them. The output is deterministic,
so strict nbval can compare it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch
from IPython.display import HTML
from torch.nn import functional as F

HERE = Path(__file__).parent
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
# what the controls allow
LIMITS = {"padding": (0, 6), "stride": (1, 4), "dilation": (1, 4)}

# Weights are written as text (exact fractions where they are not integers);
# Python and the browser parse the same text into the same double.
KERNELS: dict[str, tuple[str, list[str]]] = {
    "identity": ("identity", ["0", "0", "0", "0", "1", "0", "0", "0", "0"]),
    "box": ("box blur (mean of 9)", ["1/9"] * 9),
    "sobel_x": (
        "Sobel x (vertical edges)",
        ["-1", "0", "1", "-2", "0", "2", "-1", "0", "1"],
    ),
    "sobel_y": (
        "Sobel y (horizontal edges)",
        ["-1", "-2", "-1", "0", "0", "0", "1", "2", "1"],
    ),
    "laplacian": ("Laplacian", ["0", "1", "0", "1", "-4", "1", "0", "1", "0"]),
    "sharpen": ("sharpen", ["0", "-1", "0", "-1", "5", "-1", "0", "-1", "0"]),
    "x": (
        "X (the 5×5 example's kernel)",
        ["1", "0", "1", "0", "1", "0", "1", "0", "1"],
    ),
}

X5 = [
    [1, 1, 1, 0, 0],
    [0, 1, 1, 1, 0],
    [0, 0, 1, 1, 1],
    [0, 0, 1, 1, 0],
    [0, 1, 1, 0, 0],
]
LECTURE7 = [[0, 0, 0, 0, 0, 0, 0],
            [0, 9, 9, 9, 9, 9, 0],
            [0, 9, 0, 0, 0, 9, 0],
            [0, 9, 0, 5, 0, 9, 0],
            [0, 9, 0, 0, 0, 9, 0],
            [0, 9, 9, 9, 9, 9, 0],
            [0, 0, 0, 0, 0, 0, 0]]  # fmt: skip
FASHION_INDEX = 0  # test image 0: an ankle boot
# one entry per widget built in this session (for unique ids)
_CALLS: list[dict] = []

# The settings whose PyTorch results every widget embeds (the browser check
# compares them all): every preset kernel, nine typed-in weights, every padding
# mode, strides 1-3, dilations 1-2, and one stride that does not fit (the
# lecture's 7×7 input, 3×3 kernel, stride 3).
CUSTOM_WEIGHTS = ["1", "-2", "0.5", "0", "3", "0", "-1.5", "0.25", "1"]
REFERENCE_SETTINGS = [
    dict(input="x5", kernel="x", padding=0, padding_mode="zeros", stride=1,
         dilation=1),
    dict(input="x5", kernel="sobel_x", padding=1, padding_mode="zeros",
         stride=1, dilation=1),
    dict(input="lecture7", kernel="box", padding=0, padding_mode="zeros",
         stride=3, dilation=1),
    dict(input="lecture7", kernel="sharpen", padding=2,
         padding_mode="reflect", stride=2, dilation=2),
    dict(input="lecture7", kernel="identity", padding=1,
         padding_mode="circular", stride=1, dilation=1),
    dict(input="camera", kernel="laplacian", padding=2,
         padding_mode="replicate", stride=3, dilation=1),
    dict(input="camera", kernel="box", padding=3, padding_mode="reflect",
         stride=3, dilation=2),
    dict(input="fashion", kernel="sobel_y", padding=1,
         padding_mode="circular", stride=3, dilation=1),
    dict(input="fashion", kernel="custom", weights=CUSTOM_WEIGHTS, padding=1,
         padding_mode="zeros", stride=1, dilation=2),
]  # fmt: skip


def parse_weight(text: str) -> float:
    """A weight typed as a decimal or a fraction, parsed as the browser
    parses it.

    >>> parse_weight("1/9") == 1 / 9, parse_weight("-0.5")
    (True, -0.5)
    """
    numerator, _, denominator = text.replace("\u2212", "-").partition("/")
    return (
        float(numerator) / float(denominator)
        if denominator
        else float(numerator)
    )


def _fashion_item(index: int = FASHION_INDEX) -> list[list[int]] | None:
    """One Fashion-MNIST test image as 28×28 ints; None if the data cannot be
    found.
    """
    # the course's one place that finds the data
    from utils import prepare_fashion_mnist

    try:
        raw = (
            prepare_fashion_mnist()
            / "FashionMNIST"
            / "raw"
            / "t10k-images-idx3-ubyte"
        )
        # no local copy: let torchvision download it (Colab)
        if not raw.is_file():
            from torchvision.datasets import FashionMNIST

            return (
                FashionMNIST(
                    prepare_fashion_mnist(), train=False, download=True
                )
                .data[index]
                .tolist()
            )
        # IDX: a 16-byte header, then 784 bytes per image
        with open(raw, "rb") as file:
            file.seek(16 + 784 * index)
            return (
                np.frombuffer(file.read(784), np.uint8)
                .reshape(28, 28)
                .tolist()
            )
    except (OSError, RuntimeError):  # offline with no copy of the data
        return None


def _camera_crop() -> list[list[int]]:
    """The cameraman's head and camera: a 224×224 crop of skimage's photo,
    averaged to 32×32.
    """
    from skimage import data

    crop = data.camera()[48:272, 160:384].astype(np.float64)
    return (
        np.round(crop.reshape(32, 7, 32, 7).mean(axis=(1, 3)))
        .astype(int)
        .tolist()
    )


def course_inputs() -> dict[str, dict]:
    """The images the widget offers, by name: a label and the pixels (lists of
    ints).
    """
    inputs = {
        "x5": {"label": "5×5 “X” example (values 0/1)", "pixels": X5},
        "lecture7": {"label": "7×7 lecture example (values 0–9)",
                     "pixels": LECTURE7},
        "camera": {"label": "camera photo, 32×32 crop (scikit-image, 0–255)",
                   "pixels": _camera_crop()},
    }  # fmt: skip
    fashion = _fashion_item()
    if fashion is not None:  # offline without the data: offer the other inputs
        inputs["fashion"] = {"label": "Fashion-MNIST test image "
                                      f"{FASHION_INDEX}: ankle boot (0–255)",
                             "pixels": fashion}  # fmt: skip
    return inputs


def reference_output(
    pixels: Sequence[Sequence[float]],
    weights: Sequence[str],
    padding: int,
    padding_mode: str,
    stride: int,
    dilation: int,
) -> torch.Tensor:
    """What ``nn.Conv2d(1, 1, 3, stride, padding, dilation, bias=False,
    padding_mode=...)`` computes: ``F.pad`` with the padding mode, then
    ``F.conv2d`` (a cross-correlation).
    """
    image = torch.tensor(pixels, dtype=torch.float64)[None, None]
    kernel = torch.tensor(
        [parse_weight(w) for w in weights], dtype=torch.float64
    ).reshape(1, 1, 3, 3)
    mode = "constant" if padding_mode == "zeros" else padding_mode
    padded = F.pad(image, [padding] * 4, mode=mode)
    return F.conv2d(padded, kernel, stride=stride, dilation=dilation)[0, 0]


def _fits(size: int, padding: int, stride: int, dilation: int) -> bool:
    room = size + 2 * padding - (dilation * 2 + 1)
    return room >= 0 and room % stride == 0


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else float(value)


def _references(inputs: dict[str, dict]) -> list[dict]:
    references = []
    for setting in REFERENCE_SETTINGS:
        if setting["input"] not in inputs:
            continue
        setting = dict(setting)
        weights = setting.pop("weights", None) or KERNELS[setting["kernel"]][1]
        pixels = inputs[setting["input"]]["pixels"]
        output = reference_output(pixels, weights, setting["padding"],
                                  setting["padding_mode"], setting["stride"],
                                  setting["dilation"])  # fmt: skip
        height, width = len(pixels), len(pixels[0])
        fits = all(_fits(n, setting["padding"], setting["stride"],
                         setting["dilation"])
                   for n in (height, width))  # fmt: skip
        references.append({
            "setting": {**setting, "weights": list(weights)},
            "fits": fits, "shape": list(output.shape),
            "values": [_number(v) for v in output.flatten().tolist()],
        })  # fmt: skip
    return references


def _validate(
    input: str,
    inputs: dict,
    kernel: str | Sequence,
    padding: int,
    padding_mode: str,
    stride: int,
    dilation: int,
) -> list[str] | None:
    """The custom weights (or None for a preset); raises ValueError on a bad
    argument.
    """
    if input not in inputs:
        raise ValueError(f"input={input!r}: expected one of {sorted(inputs)}")
    weights = None
    if isinstance(kernel, str):
        if kernel not in KERNELS:
            raise ValueError(f"kernel={kernel!r}: expected one of "
                             f"{sorted(KERNELS)} or nine weights (a 3×3 "
                             "nested list)")  # fmt: skip
    else:
        weights = [
            str(Fraction(w).limit_denominator(1000))
            if not isinstance(w, str)
            else w
            for w in np.asarray(kernel, dtype=object).reshape(-1)
        ]
        if len(weights) != 9:
            raise ValueError(
                f"a custom kernel has 9 weights (3×3), got {len(weights)}"
            )
    if padding_mode not in PADDING_MODES:
        raise ValueError(
            f"padding_mode={padding_mode!r}: expected one of {PADDING_MODES}"
        )
    for name, value in (
        ("padding", padding),
        ("stride", stride),
        ("dilation", dilation),
    ):
        low, high = LIMITS[name]
        if not isinstance(value, int) or not low <= value <= high:
            raise ValueError(
                f"{name}={value!r}: the widget offers whole numbers "
                f"{low} to {high}"
            )
    return weights


def conv_playground(
    input: str = "x5",
    kernel: str | Sequence = "sobel_x",
    padding: int = 0,
    padding_mode: str = "zeros",
    stride: int = 1,
    dilation: int = 1,
) -> HTML:
    """An interactive 2-D convolution (PyTorch's cross-correlation, 3×3
    kernel) for the page.

    ``input``: "x5", "lecture7", "camera" or "fashion" (the reader can also
    load their own image). ``kernel``: "identity", "box", "sobel_x",
    "sobel_y", "laplacian", "sharpen", "x", or nine weights as a 3×3 nested
    list. ``padding_mode``: "zeros", "reflect", "replicate" or "circular".
    These set the starting state; the reader changes everything in the page.

    >>> "cnnpg" in conv_playground(
    ...     input="lecture7", kernel="box", stride=3
    ... ).data
    True
    """
    inputs = course_inputs()
    weights = _validate(
        input, inputs, kernel, padding, padding_mode, stride, dilation
    )
    initial = {"input": input, "kernel": "custom" if weights else kernel,
               "weights": weights or KERNELS[kernel][1], "padding": padding,
               "padding_mode": padding_mode, "stride": stride,
               "dilation": dilation}  # fmt: skip
    config = {
        "inputs": inputs,
        "kernels": {
            name: {"label": label, "weights": w}
            for name, (label, w) in KERNELS.items()
        },
        "modes": list(PADDING_MODES),
        "limits": LIMITS,
        "initial": initial,
        "references": _references(inputs),
    }
    data = json.dumps(
        config, ensure_ascii=False, separators=(",", ":"), sort_keys=True
    )
    # a deterministic id (strict nbval compares this output): the call's number
    # in this session, and a hash of the starting state
    _CALLS.append(initial)
    digest = hashlib.sha256(
        json.dumps(initial, sort_keys=True).encode()
    ).hexdigest()[:8]
    uid = f"cnnpg-{len(_CALLS)}-{digest}"
    html = (HERE / "conv_playground.html").read_text()
    for key, value in (("CSS", (HERE / "conv_playground.css").read_text()),
                       ("JS", (HERE / "conv_playground.js").read_text()),
                       ("DATA", data.replace("</", "<\\/")),
                       ("UID", uid)):  # fmt: skip
        html = html.replace("{{" + key + "}}", value)
    return HTML(html)


def embedded_data(widget: HTML) -> dict:
    """What a widget carries: ``inputs`` (name -> label and pixels),
    ``kernels``, ``initial`` and ``references``, PyTorch's results, one dict
    per setting with ``setting``, ``shape``, ``values`` (row-major) and
    ``fits`` (False where the stride does not fit evenly).
    """
    marker = 'class="cnnpg-data">'
    start = widget.data.index(marker) + len(marker)
    return json.loads(
        widget.data[start : widget.data.index("</script>", start)].replace(
            "<\\/", "</"
        )
    )
