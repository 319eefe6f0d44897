"""EfficientNet-B0 (Tan and Le 2019): MBConv blocks with squeeze-excite and SiLU; width and depth
multipliers give the larger members of the family."""

from __future__ import annotations

import math

from torch import nn

from tessera.models_zoo.blocks import Classifier, InvertedResidual, check_resolution, conv_bn, make_divisible
from tessera.models_zoo.inputs import InputSpec, image

# (expand, kernel, first stride, channels, repeats), the B0 baseline
STAGES = (
    (1, 3, 1, 16, 1),
    (6, 3, 2, 24, 2),
    (6, 5, 2, 40, 2),
    (6, 3, 2, 80, 3),
    (6, 5, 1, 112, 3),
    (6, 5, 2, 192, 4),
    (6, 3, 1, 320, 1),
)


def efficientnet_b0(
    width: float, depth: float, resolution: int, num_classes: int
) -> tuple[nn.Module, tuple[InputSpec, ...]]:
    check_resolution("efficientnet-b0", resolution, 32, 32)
    c_in = make_divisible(32 * width)
    layers: list[nn.Module] = [conv_bn(3, c_in, 3, 2, act=nn.SiLU)]
    for expand, kernel, stride, channels, repeats in STAGES:
        c_out = make_divisible(channels * width)
        for i in range(math.ceil(repeats * depth)):
            # squeeze-excite to a quarter of the block's input channels
            layers.append(InvertedResidual(c_in, c_out, kernel, stride if i == 0 else 1, expand, nn.SiLU, 0.25))
            c_in = c_out
    head = make_divisible(1280 * width)
    layers.append(conv_bn(c_in, head, 1, act=nn.SiLU))
    return Classifier(nn.Sequential(*layers), head, num_classes), (image((1, 3, resolution, resolution)),)
