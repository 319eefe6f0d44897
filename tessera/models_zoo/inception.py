"""An Inception-style network: GoogLeNet (Szegedy et al. 2015, Inception v1) with BatchNorm after
every convolution, real 5x5 branches, no auxiliary heads. `width` scales every branch."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from tessera.models_zoo.blocks import Classifier, check_resolution, conv_bn
from tessera.models_zoo.inputs import InputSpec, image

# per block: 1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool projection; "M" is a 3x3 stride-2 max pool
BLOCKS: tuple[tuple[int, int, int, int, int, int] | str, ...] = (
    (64, 96, 128, 16, 32, 32),
    (128, 128, 192, 32, 96, 64),
    "M",
    (192, 96, 208, 16, 48, 64),
    (160, 112, 224, 24, 64, 64),
    (128, 128, 256, 24, 64, 64),
    (112, 144, 288, 32, 64, 64),
    (256, 160, 320, 32, 128, 128),
    "M",
    (256, 160, 320, 32, 128, 128),
    (384, 192, 384, 48, 128, 128),
)


class InceptionBlock(nn.Module):
    def __init__(self, c_in: int, b1: int, r3: int, b3: int, r5: int, b5: int, pool: int) -> None:
        super().__init__()
        self.branch1 = conv_bn(c_in, b1, 1)
        self.branch3 = nn.Sequential(conv_bn(c_in, r3, 1), conv_bn(r3, b3, 3))
        self.branch5 = nn.Sequential(conv_bn(c_in, r5, 1), conv_bn(r5, b5, 5))
        self.branch_pool = nn.Sequential(nn.MaxPool2d(3, 1, 1), conv_bn(c_in, pool, 1))

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat([self.branch1(x), self.branch3(x), self.branch5(x), self.branch_pool(x)], dim=1)


def inception(width: float, resolution: int, num_classes: int) -> tuple[nn.Module, tuple[InputSpec, ...]]:
    check_resolution("inception", resolution, 32, 32)

    def w(c: int) -> int:
        return max(4, int(c * width))

    layers: list[nn.Module] = [
        conv_bn(3, w(64), 7, 2),
        nn.MaxPool2d(3, 2, 1),
        conv_bn(w(64), w(64), 1),
        conv_bn(w(64), w(192), 3),
        nn.MaxPool2d(3, 2, 1),
    ]
    c_in = w(192)
    for block in BLOCKS:
        if isinstance(block, str):  # "M"
            layers.append(nn.MaxPool2d(3, 2, 1))
            continue
        sizes = [w(c) for c in block]
        layers.append(InceptionBlock(c_in, *sizes))
        c_in = sizes[0] + sizes[2] + sizes[4] + sizes[5]
    return Classifier(nn.Sequential(*layers), c_in, num_classes), (image((1, 3, resolution, resolution)),)
