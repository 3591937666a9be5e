"""The playground: the PyTorch references it embeds are what nn.Conv2d
computes, its size rule is PyTorch's, bad arguments are clear errors, and the
JavaScript's pure helpers (run in Node) format, label and hatch as issue #31
asks. (The browser check in scripts/check_site.py proves that the page
displays the same numbers.)"""

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import playground
from playground import (
    KERNELS,
    LECTURE7,
    PADDING_MODES,
    REFERENCE_SETTINGS,
    _fits,
    conv_playground,
    embedded_data,
    parse_weight,
    reference_output,
)


def numpy_cross_correlation(image, kernel, stride, dilation):
    """Loops, by the definition:
    out[i, j] = sum_uv image[i*s + u*d, j*s + v*d] * kernel[u, v]."""
    span = dilation * 2 + 1
    rows = (image.shape[0] - span) // stride + 1
    cols = (image.shape[1] - span) // stride + 1
    out = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            for u in range(3):
                for v in range(3):
                    out[i, j] += (
                        image[
                            i * stride + u * dilation,
                            j * stride + v * dilation,
                        ]
                        * kernel[u, v]
                    )
    return out


@pytest.mark.parametrize("mode", PADDING_MODES)
@pytest.mark.parametrize(
    "stride, dilation, padding", [(1, 1, 1), (2, 1, 2), (3, 2, 2), (1, 2, 3)]
)
def test_reference_equals_nn_conv2d_and_a_numpy_loop(
    mode, stride, dilation, padding
):
    generator = np.random.default_rng(stride * 10 + dilation)
    pixels = generator.integers(0, 256, size=(9, 11)).tolist()
    weights = ["1", "-2", "1/9", "0", "3", "0", "-1.5", "0.25", "1"]
    got = reference_output(pixels, weights, padding, mode, stride, dilation)
    layer = nn.Conv2d(
        1, 1, 3, stride, padding, dilation, bias=False, padding_mode=mode
    ).double()
    kernel = torch.tensor(
        [parse_weight(w) for w in weights], dtype=torch.float64
    ).view(1, 1, 3, 3)
    with torch.no_grad():
        layer.weight.copy_(kernel)
        expected = layer(
            torch.tensor(pixels, dtype=torch.float64)[None, None]
        )[0, 0]
    torch.testing.assert_close(got, expected)
    if mode == "zeros":
        padded = np.pad(np.array(pixels, float), padding)
        np.testing.assert_allclose(
            got.numpy(),
            numpy_cross_correlation(
                padded, kernel[0, 0].numpy(), stride, dilation
            ),
        )


def test_size_rule_flags_the_lectures_stride_three():
    # 7x7, 3x3 kernel, stride 3: (7 - 3) / 3 + 1 = 2.33 placements, so it
    # does not fit evenly
    assert not _fits(len(LECTURE7), padding=0, stride=3, dilation=1)
    assert _fits(
        len(LECTURE7), padding=0, stride=2, dilation=1
    )  # (7 - 3) / 2 + 1 = 3
    assert _fits(
        len(LECTURE7), padding=1, stride=1, dilation=2
    )  # 7 + 2 - 5 = 4, any stride 1
    for size in range(3, 12):
        for padding in range(3):
            for stride in (1, 2, 3):
                room = size + 2 * padding - 3
                assert _fits(size, padding, stride, 1) == (
                    room >= 0 and room % stride == 0
                )


def test_embedded_references_cover_every_setting_and_flag_the_bad_stride():
    data = embedded_data(
        conv_playground(input="lecture7", kernel="box", stride=3)
    )
    assert data["initial"]["stride"] == 3
    names = {r["setting"]["input"] for r in data["references"]}
    assert {"x5", "lecture7", "camera"} <= names
    assert (
        len(data["references"]) >= len(REFERENCE_SETTINGS) - 2
    )  # fashion needs the data
    lecture = next(
        r
        for r in data["references"]
        if r["setting"]["stride"] == 3 and r["setting"]["input"] == "lecture7"
    )
    assert lecture["fits"] is False and lecture["shape"] == [2, 2]
    for reference in data["references"]:
        setting = reference["setting"]
        pixels = data["inputs"][setting["input"]]["pixels"]
        values = reference_output(
            pixels,
            setting["weights"],
            setting["padding"],
            setting["padding_mode"],
            setting["stride"],
            setting["dilation"],
        )
        assert reference["values"] == pytest.approx(values.flatten().tolist())
    assert set(data["kernels"]) == set(KERNELS)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"input": "cat"}, "input='cat'"),
        ({"kernel": "emboss"}, "kernel='emboss'"),
        ({"kernel": [[1, 2], [3, 4]]}, "9 weights"),
        ({"padding_mode": "mirror"}, "padding_mode='mirror'"),
        ({"stride": 0}, "stride=0"),
        ({"dilation": 2.5}, "dilation=2.5"),
    ],
)
def test_bad_arguments_are_clear_errors(options, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[")):
        conv_playground(**options)


def test_custom_kernel_from_numbers():
    data = embedded_data(
        conv_playground(kernel=[[0, 0.5, 0], [1, -1, 1], [0, 0.25, 0]])
    )
    assert data["initial"]["kernel"] == "custom"
    assert data["initial"]["weights"] == [
        "0",
        "1/2",
        "0",
        "1",
        "-1",
        "1",
        "0",
        "1/4",
        "0",
    ]


# ------------------------------------------------- the widget's JavaScript
# (issue #31): its pure helpers run in Node; what only a browser shows is
# checked in scripts/check_site.py

NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="needs Node.js")


def run_widget_js(expression: str):
    """Evaluate ``expression`` (JavaScript, ``P`` = window.CNNPlayground) in
    Node after loading the widget's script; its value, through JSON."""
    script = (
        "global.window = {};\n"
        + (Path(playground.__file__).parent / "conv_playground.js").read_text()
        + "\nvar P = window.CNNPlayground;\n"
        + f"process.stdout.write(JSON.stringify({expression}));\n"
    )
    done = subprocess.run(
        [NODE, "-"], input=script, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


@needs_node
def test_sizes_are_rows_by_columns_in_picker_and_caption():
    # a 9-pixel-wide, 6-pixel-high upload is 6 rows by 9 columns in every label
    assert run_widget_js("P.sizeText(6, 9)") == "6\u00d79 (rows\u00d7columns)"
    source = (
        Path(playground.__file__).parent / "conv_playground.js"
    ).read_text()
    assert '"your image, grey, " + sizeText(h, w)' in source  # the picker
    assert (
        '"Input " + sizeText(image.height, image.width)' in source
    )  # caption


@needs_node
def test_cell_numbers_fit_and_keep_their_minus_sign():
    values = [
        -1234.5678,
        -12345.678,
        -99999.9,
        -999999,
        -1e12,
        -0.00012345,
        -0.5,
        -10499,
        1 / 3,
        98765.4321,
        -7,
    ]
    widths = [5, 6, 7, 8]
    shown = run_widget_js(
        f"{values}.map(v => {widths}.map(n => P.cellText(v, n)))"
    )
    for value, texts in zip(values, shown, strict=True):
        for width, text in zip(widths, texts, strict=True):
            assert len(text) <= width, (value, text)
            assert text.startswith("\u2212") == (value < 0), (value, text)
            number = text.replace("\u2212", "-")
            scale = {"k": 1e3, "M": 1e6, "G": 1e9}.get(number[-1], 1)
            number = float(number.rstrip("kMG")) * scale
            assert number == pytest.approx(value, rel=0.06, abs=0.05)


@needs_node
def test_selected_cell_ring_is_black_and_white():
    # a recording context: the ring is a black stroke with a white one inside
    strokes = run_widget_js(
        "(() => { const log = []; const c = { strokeRect(x, y, w, h) {"
        " log.push([this.strokeStyle, x, y, w, h]); } };"
        " P.selectionRing(c, 10, 20, 30); return log; })()"
    )
    assert [s[0] for s in strokes] == ["#000", "#fff"]
    (_, x0, y0, w0, h0), (_, x1, y1, w1, h1) = strokes
    assert x0 < x1 and y0 < y1 and x1 + w1 < x0 + w0 and y1 + h1 < y0 + h0

    def luminance(rgb):
        linear = [
            c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
            for c in (v / 255 for v in rgb)
        ]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    # every colour of the map (blue, white, red and between) contrasts 3:1
    # or more with one of the two rings
    colours = run_widget_js(
        "[-1, -0.5, -0.2, 0, 0.2, 0.5, 0.8, 1].map(t => P.divergingOf(t, 1))"
    )
    for rgb in colours:
        shade = luminance(rgb)
        best = max((1.05) / (shade + 0.05), (shade + 0.05) / 0.05)
        assert best >= 3, rgb


@needs_node
def test_hatching_marks_rows_no_window_reads():
    masks = run_widget_js(
        "[P.readMask(7, 0, 4, 1), P.readMask(7, 0, 3, 1),"
        " P.readMask(7, 0, 2, 2), P.readMask(5, 1, 1, 1)]"
    )
    # 7x7, p0, k3, s4: windows read 0-2 and 4-6, so row/column 3 never
    assert masks[0] == [True] * 3 + [False] + [True] * 3
    assert masks[1] == [True] * 6 + [False]  # stride 3: the last one
    assert masks[2] == [k % 2 == 0 for k in range(7)]  # dilation 2: the odd
    assert masks[3] == [True] * 7  # stride 1 reads everything
    # the same rule as PyTorch's windows: index k is read iff some output
    # depends on it (NumPy loop over the output's taps)
    for n, p, s, d in [(7, 0, 4, 1), (9, 1, 3, 2), (8, 2, 4, 1)]:
        span, read = 2 * d + 1, np.zeros(n + 2 * p, bool)
        for t in range((n + 2 * p - span) // s + 1):
            read[[t * s + a * d for a in range(3)]] = True
        assert run_widget_js(f"P.readMask({n}, {p}, {s}, {d})") == list(read)
