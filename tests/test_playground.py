"""The playground's Python side: the PyTorch references it embeds are what nn.Conv2d computes,
its size rule is PyTorch's, and bad arguments are clear errors. (The browser check in
scripts/check_site.py proves that the JavaScript displays the same numbers.)"""

import numpy as np
import pytest
import torch
from torch import nn

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
    """Loops, by the definition: out[i, j] = sum_uv image[i*s + u*d, j*s + v*d] * kernel[u, v]."""
    span = dilation * 2 + 1
    rows = (image.shape[0] - span) // stride + 1
    cols = (image.shape[1] - span) // stride + 1
    out = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            for u in range(3):
                for v in range(3):
                    out[i, j] += (
                        image[i * stride + u * dilation, j * stride + v * dilation] * kernel[u, v]
                    )
    return out


@pytest.mark.parametrize("mode", PADDING_MODES)
@pytest.mark.parametrize("stride, dilation, padding", [(1, 1, 1), (2, 1, 2), (3, 2, 2), (1, 2, 3)])
def test_reference_equals_nn_conv2d_and_a_numpy_loop(mode, stride, dilation, padding):
    generator = np.random.default_rng(stride * 10 + dilation)
    pixels = generator.integers(0, 256, size=(9, 11)).tolist()
    weights = ["1", "-2", "1/9", "0", "3", "0", "-1.5", "0.25", "1"]
    got = reference_output(pixels, weights, padding, mode, stride, dilation)
    layer = nn.Conv2d(1, 1, 3, stride, padding, dilation, bias=False, padding_mode=mode).double()
    kernel = torch.tensor([parse_weight(w) for w in weights], dtype=torch.float64).view(1, 1, 3, 3)
    with torch.no_grad():
        layer.weight.copy_(kernel)
        expected = layer(torch.tensor(pixels, dtype=torch.float64)[None, None])[0, 0]
    torch.testing.assert_close(got, expected)
    if mode == "zeros":
        padded = np.pad(np.array(pixels, float), padding)
        np.testing.assert_allclose(
            got.numpy(), numpy_cross_correlation(padded, kernel[0, 0].numpy(), stride, dilation)
        )


def test_size_rule_flags_the_lectures_stride_three():
    # 7x7, 3x3 kernel, stride 3: (7 - 3) / 3 + 1 = 2.33 placements, so it does not fit evenly
    assert not _fits(len(LECTURE7), padding=0, stride=3, dilation=1)
    assert _fits(len(LECTURE7), padding=0, stride=2, dilation=1)  # (7 - 3) / 2 + 1 = 3
    assert _fits(len(LECTURE7), padding=1, stride=1, dilation=2)  # 7 + 2 - 5 = 4, any stride 1
    for size in range(3, 12):
        for padding in range(3):
            for stride in (1, 2, 3):
                room = size + 2 * padding - 3
                assert _fits(size, padding, stride, 1) == (room >= 0 and room % stride == 0)


def test_embedded_references_cover_every_setting_and_flag_the_bad_stride():
    data = embedded_data(conv_playground(input="lecture7", kernel="box", stride=3))
    assert data["initial"]["stride"] == 3
    names = {r["setting"]["input"] for r in data["references"]}
    assert {"x5", "lecture7", "camera"} <= names
    assert len(data["references"]) >= len(REFERENCE_SETTINGS) - 2  # fashion needs the data
    lecture = next(r for r in data["references"] if r["setting"]["stride"] == 3
                   and r["setting"]["input"] == "lecture7")  # fmt: skip
    assert lecture["fits"] is False and lecture["shape"] == [2, 2]
    for reference in data["references"]:
        setting = reference["setting"]
        pixels = data["inputs"][setting["input"]]["pixels"]
        values = reference_output(
            pixels, setting["weights"], setting["padding"], setting["padding_mode"],
            setting["stride"], setting["dilation"],
        )  # fmt: skip
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
    data = embedded_data(conv_playground(kernel=[[0, 0.5, 0], [1, -1, 1], [0, 0.25, 0]]))
    assert data["initial"]["kernel"] == "custom"
    assert data["initial"]["weights"] == ["0", "1/2", "0", "1", "-1", "1", "0", "1/4", "0"]
