"""The dense depthwise packing: exact on every MobileNetV2-CIFAR depthwise layer and on odd shapes,
and its totals on those layers against Cheetah's."""

from __future__ import annotations

import numpy as np
import pytest
from test_packings_exact import MOBILENETV2_CIFAR_DW, PARAMS, _dw

from tessera.errors import PassError
from tessera.passes.private import poly
from tessera.passes.private.cheetah import plan_cheetah
from tessera.passes.private.dense import DenseCost, layout_for, plan_dense
from tessera.passes.private.layout import LinearLayer
from tessera.passes.private.network import LAN, WAN, he_layer_cost, total


def _check(layout, seed: int = 0) -> None:
    layer = layout.layer
    rng = np.random.default_rng(seed)
    x = rng.integers(-2048, 2048, (layer.in_channels, layer.height, layer.width))
    w = rng.integers(-2048, 2048, layer.weight_shape)
    poly.check_layout(layout, x, w)


@pytest.mark.parametrize("spec", sorted(set(MOBILENETV2_CIFAR_DW)), ids=lambda s: f"{s[0]}x{s[1]}s{s[2]}")
def test_exact_on_mobilenetv2_cifar_depthwise(spec: tuple[int, int, int]) -> None:
    _check(plan_dense(_dw(*spec), PARAMS), seed=spec[0])


def _multiplier(c: int, side: int, stride: int) -> LinearLayer:
    return LinearLayer("dwm", "depthwise", c, side, side, 2 * c, (3, 3), (stride, stride), (1, 1, 1, 1), c)


@pytest.mark.parametrize(
    "layer",
    [
        _dw(5, 11, 1),
        _dw(13, 7, 2),
        _dw(21, 9, 2, kernel=5, pads=(2, 1, 2, 2)),
        _dw(7, 70, 1),  # one channel larger than a polynomial
        _dw(3, 67, 2),  # stride 2 and larger than a polynomial
        _dw(100, 6, 1, kernel=5, pads=(2, 2, 2, 2)),  # 100 channels do not divide N
        _multiplier(12, 8, 1),
        _multiplier(10, 9, 2),
    ],
    ids=lambda la: f"{la.in_channels}-{la.out_channels}x{la.height}s{la.stride[0]}k{la.kernel[0]}",
)
def test_exact_on_random_shapes(layer: LinearLayer) -> None:
    _check(plan_dense(layer, PARAMS), seed=layer.height)


@pytest.mark.parametrize(("phases", "shared"), [(1, False), (1, True), (4, False), (4, True)])
def test_every_layout_family_is_exact(phases: int, shared: bool) -> None:
    """Direct or polyphase, returned ciphertexts shared or not, on a stride-2 5x5 layer."""
    layer = _dw(9, 13, 2, kernel=5, pads=(2, 2, 1, 2))
    for per_ct in (1, 3, 8):
        layout = layout_for(layer, PARAMS, (4, 4), per_ct, phases, shared)
        assert layout is not None and layout.phases == phases
        _check(layout, seed=per_ct)


def test_a_grouped_convolution_is_refused() -> None:
    layer = LinearLayer("g", "conv", 8, 8, 8, 8, (3, 3), (1, 1), (1, 1, 1, 1), 4)
    with pytest.raises(PassError, match="depthwise convolutions only"):
        plan_dense(layer, PARAMS)


def _totals(cost: DenseCost) -> tuple[tuple[int, ...], float, float]:
    layouts = [plan_dense(_dw(*spec), PARAMS, cost) for spec in MOBILENETV2_CIFAR_DW]
    dense = total(he_layer_cost(x) for x in layouts)
    cheetah = total(he_layer_cost(plan_cheetah(_dw(*spec), PARAMS)) for spec in MOBILENETV2_CIFAR_DW)
    fields = ("input_ciphertexts", "multiplies", "returned_ciphertexts")
    counts = tuple(sum(getattr(x, f) for x in layouts) for f in fields)
    return counts, cheetah.latency(LAN) / dense.latency(LAN), cheetah.latency(WAN) / dense.latency(WAN)


def test_totals_on_mobilenetv2_cifar_depthwise() -> None:
    """The default search (LAN + WAN latency), and the operating point with the fewest returned
    ciphertexts that keeps >= 1.8x on both networks (docs/private.md)."""
    counts, lan, wan = _totals(DenseCost())
    assert counts == (729, 1379, 1117)
    assert lan >= 3.3 and wan >= 2.9
    counts, lan, wan = _totals(DenseCost(returned_s=0.02))
    assert counts == (1824, 2098, 475)
    assert lan >= 1.8 and wan >= 1.8
