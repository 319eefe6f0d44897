"""An MCUNet-like visual-wake-words network: an inverted-residual backbone whose blocks mix kernel
sizes 3/5/7 and expand ratios 3/4/6, as MCUNet's searched models do, for 2 classes (person / none)
at low resolution. The block table is ours (the searched MCUNet-VWW configurations are not
reproduced); parameter count and MACs are in MCUNet-VWW's range (0.4-0.7M params, 10-60M MACs).
"""

from __future__ import annotations

from torch import nn

from tessera.models_zoo.blocks import Classifier, InvertedResidual, check_resolution, conv_bn, make_divisible
from tessera.models_zoo.inputs import InputSpec, image

# (channels, first stride, ((kernel, expand), ...)) per stage
STAGES = (
    (8, 1, ((3, 1),)),
    (16, 2, ((7, 3), (3, 4))),
    (24, 2, ((5, 6), (5, 3), (5, 4))),
    (40, 2, ((7, 6), (5, 3), (5, 4))),
    (48, 1, ((5, 6), (5, 4))),
    (96, 2, ((7, 6), (5, 4), (3, 4))),
    (160, 1, ((7, 6),)),
)


def mcunet_vww(width: float, resolution: int, num_classes: int) -> tuple[nn.Module, tuple[InputSpec, ...]]:
    check_resolution("mcunet-vww", resolution, 16, 32)
    c_in = make_divisible(16 * width)
    layers: list[nn.Module] = [conv_bn(3, c_in, 3, 2, act=nn.ReLU6)]
    for channels, stride, blocks in STAGES:
        c_out = make_divisible(channels * width)
        for i, (kernel, expand) in enumerate(blocks):
            layers.append(InvertedResidual(c_in, c_out, kernel, stride if i == 0 else 1, expand))
            c_in = c_out
    return Classifier(nn.Sequential(*layers), c_in, num_classes), (image((1, 3, resolution, resolution)),)
