"""Cheetah's and the dense packing, checked exactly against the layer's fixed-point reference."""

from __future__ import annotations

import numpy as np
import pytest

from tessera.passes.private import cheetah, dense, poly
from tessera.passes.private.layout import HeParams, LinearLayer

PARAMS = HeParams()
PAD1 = (1, 1, 1, 1)
# MobileNetV2-CIFAR's depthwise layers: (channels, side, stride), 3x3 pads 1
MOBILENETV2_CIFAR_DW = [(32, 32, 1), (96, 32, 1), (144, 32, 1), (144, 32, 2), (192, 16, 1), (192, 16, 1)]
MOBILENETV2_CIFAR_DW += [(192, 16, 2), *[(384, 8, 1)] * 4, (576, 8, 1), (576, 8, 1), (576, 8, 2), *[(960, 4, 1)] * 3]


def _dw(c: int, side: int, stride: int, kernel: int = 3, pads: tuple[int, int, int, int] = PAD1) -> LinearLayer:
    return LinearLayer("dw", "depthwise", c, side, side, c, (kernel, kernel), (stride, stride), pads, c)


def _check(layout, layer: LinearLayer, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(-2048, 2048, (layer.in_channels, layer.height, layer.width))
    w = rng.integers(-2048, 2048, layer.weight_shape)
    poly.check_layout(layout, x, w)


@pytest.mark.parametrize(
    "layer",
    [
        _dw(32, 32, 1),
        _dw(144, 32, 2),
        _dw(21, 9, 2, kernel=5, pads=(2, 1, 2, 2)),
        _dw(7, 70, 1),  # one channel larger than a polynomial
        LinearLayer("conv", "conv", 16, 9, 11, 8, (5, 5), (1, 1), (2, 2, 2, 2)),
        LinearLayer("conv2", "conv", 3, 33, 31, 5, (3, 3), (2, 2), PAD1),
        LinearLayer("conv3", "conv", 130, 7, 7, 9, (1, 1)),  # channels split over blocks (130 * 49 > N)
        LinearLayer("fc", "fc", 37, 1, 1, 5),
        LinearLayer("fc2", "fc", 5000, 1, 1, 300),  # an input vector longer than one polynomial
    ],
    ids=lambda layer: f"{layer.kind}{layer.in_channels}x{layer.height}s{layer.stride[0]}k{layer.kernel[0]}",
)
def test_packings_are_exact(layer: LinearLayer) -> None:
    _check(cheetah.plan_cheetah(layer, PARAMS), layer, 0)
    if layer.kind == "depthwise":
        _check(dense.plan_dense(layer, PARAMS), layer, 1)


def test_cheetah_counts_on_mobilenetv2_cifar_depthwise() -> None:
    layouts = [cheetah.plan_cheetah(_dw(*spec), PARAMS) for spec in MOBILENETV2_CIFAR_DW]
    assert sum(lay.input_ciphertexts for lay in layouts) == 299
    assert sum(lay.multiplies for lay in layouts) == 7136
    assert sum(lay.returned_ciphertexts for lay in layouts) == 7136
