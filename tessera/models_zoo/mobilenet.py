"""MobileNetV2 (Sandler et al. 2018) with width multiplier and input resolution options.

dataset="cifar" is the CIFAR variant of kuangliu/pytorch-cifar (the network HE packing papers such
as Falcon measure at 32x32): the first convolution and the first block of the 24-channel stage keep
stride 1, so the network downsamples by 8 instead of 32."""

from __future__ import annotations

from torch import nn

from tessera.models_zoo.blocks import Classifier, InvertedResidual, check_resolution, conv_bn, make_divisible
from tessera.models_zoo.inputs import InputSpec, image

# (expand ratio t, channels c, repeats n, first stride s), as in the paper's Table 2
SETTINGS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))


def mobilenetv2(
    width: float, resolution: int, num_classes: int, dataset: str = "imagenet"
) -> tuple[nn.Module, tuple[InputSpec, ...]]:
    cifar = dataset == "cifar"
    check_resolution("mobilenetv2", resolution, 8 if cifar else 16, 8 if cifar else 32)
    c_in = make_divisible(32 * width)
    layers: list[nn.Module] = [conv_bn(3, c_in, 3, 1 if cifar else 2, act=nn.ReLU6)]
    for t, c, n, s in SETTINGS:
        s = 1 if cifar and c == 24 else s
        c_out = make_divisible(c * width)
        for i in range(n):
            layers.append(InvertedResidual(c_in, c_out, 3, s if i == 0 else 1, t))
            c_in = c_out
    last = make_divisible(1280 * max(1.0, width))
    layers.append(conv_bn(c_in, last, 1, act=nn.ReLU6))
    return Classifier(nn.Sequential(*layers), last, num_classes), (image((1, 3, resolution, resolution)),)
