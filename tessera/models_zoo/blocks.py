"""Building blocks shared by the CNN families: conv + BatchNorm + activation, channel rounding,
and the inverted residual (MobileNetV2 / MCUNet / EfficientNet MBConv, optional squeeze-excite)."""

from __future__ import annotations

from torch import Tensor, nn

from tessera.errors import TesseraError


def make_divisible(value: float, divisor: int = 8) -> int:
    """Round channels to a multiple of `divisor`, never more than 10% below `value` (as MobileNet)."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def conv_bn(
    c_in: int, c_out: int, kernel: int = 3, stride: int = 1, groups: int = 1, act: type | None = nn.ReLU
) -> nn.Sequential:
    layers: list[nn.Module] = [
        nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, groups=groups, bias=False),
        nn.BatchNorm2d(c_out),
    ]
    if act is not None:
        layers.append(act())
    return nn.Sequential(*layers)


class SqueezeExcite(nn.Module):
    def __init__(self, channels: int, squeezed: int, act: type = nn.SiLU) -> None:
        super().__init__()
        self.reduce = nn.Conv2d(channels, squeezed, 1)
        self.expand = nn.Conv2d(squeezed, channels, 1)
        self.act = act()

    def forward(self, x: Tensor) -> Tensor:
        s = x.mean((2, 3), keepdim=True)
        return x * self.expand(self.act(self.reduce(s))).sigmoid()


class InvertedResidual(nn.Module):
    """1x1 expand, k x k depthwise, (squeeze-excite), 1x1 project; identity shortcut when shapes match."""

    def __init__(
        self, c_in: int, c_out: int, kernel: int, stride: int, expand: int, act: type = nn.ReLU6, se: float = 0.0
    ) -> None:
        super().__init__()
        hidden = c_in * expand
        layers: list[nn.Module] = [] if expand == 1 else [conv_bn(c_in, hidden, 1, act=act)]
        layers.append(conv_bn(hidden, hidden, kernel, stride, groups=hidden, act=act))
        if se > 0:
            layers.append(SqueezeExcite(hidden, max(1, int(c_in * se)), act))
        layers.append(conv_bn(hidden, c_out, 1, act=None))
        self.body = nn.Sequential(*layers)
        self.shortcut = stride == 1 and c_in == c_out

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x) if self.shortcut else self.body(x)


def check_resolution(model: str, resolution: int, multiple: int, minimum: int) -> None:
    if resolution < minimum or resolution % multiple:
        raise TesseraError(
            f"zoo model {model!r}: resolution {resolution} must be a multiple of {multiple} and >= {minimum}"
        )


class Classifier(nn.Module):
    """A backbone followed by global average pooling and a linear layer."""

    def __init__(self, features: nn.Module, channels: int, num_classes: int) -> None:
        super().__init__()
        self.features = features
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, image: Tensor) -> Tensor:
        return self.fc(self.features(image).mean((2, 3)))
