"""ResNet-18 (He et al. 2016): basic blocks [2, 2, 2, 2], widths 64-512 times `width`."""

from __future__ import annotations

from torch import Tensor, nn

from tessera.models_zoo.blocks import Classifier, check_resolution, conv_bn
from tessera.models_zoo.inputs import InputSpec, image


class BasicBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.body = nn.Sequential(conv_bn(c_in, c_out, 3, stride), conv_bn(c_out, c_out, 3, act=None))
        self.shortcut = nn.Identity() if stride == 1 and c_in == c_out else conv_bn(c_in, c_out, 1, stride, act=None)
        self.relu = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        return self.relu(self.body(x) + self.shortcut(x))


def resnet18(width: float, resolution: int, num_classes: int) -> tuple[nn.Module, tuple[InputSpec, ...]]:
    check_resolution("resnet18", resolution, 32, 32)
    widths = [max(8, int(c * width)) for c in (64, 128, 256, 512)]
    layers: list[nn.Module] = [conv_bn(3, widths[0], 7, 2), nn.MaxPool2d(3, 2, 1)]
    c_in = widths[0]
    for stage, c_out in enumerate(widths):
        for i in range(2):
            layers.append(BasicBlock(c_in, c_out, 2 if stage > 0 and i == 0 else 1))
            c_in = c_out
    return Classifier(nn.Sequential(*layers), c_in, num_classes), (image((1, 3, resolution, resolution)),)
