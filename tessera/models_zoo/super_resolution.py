"""Single-image super-resolution: EDSR-baseline (Lim et al. 2017: 16 residual blocks of 64 channels,
no BatchNorm, residual scale 1, pixel-shuffle upsampling, RGB mean shift) and SRResNet (Ledig et al.
2017: 9x9 head, 16 residual blocks with BatchNorm and PReLU, pixel-shuffle x2 steps with PReLU).
Input: (1, 3, resolution, resolution) pixels in [0, 1]; output `scale` times larger. `blocks` (default 16,
as published) sets the residual blocks, for smaller training budgets."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from tessera.models_zoo.inputs import IMAGENET_MEAN, InputSpec

BLOCKS, FEATURES = 16, 64


class ResBlock(nn.Module):
    def __init__(self, blocks: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(FEATURES, FEATURES, 3, padding=1)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(FEATURES, FEATURES, 3, padding=1)
        self.blocks = blocks

    def zoo_rescale(self) -> None:
        """Without normalization, He-init residual branches multiply the variance by 3 per block;
        scale the branch so the sum over all blocks stays of order one."""
        self.conv2.weight.data.mul_(1.0 / math.sqrt(2.0 * self.blocks))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv2(self.relu(self.conv1(x)))


def _upsampler(scale: int, act: type | None) -> list[nn.Module]:
    steps = [(3, 1)] if scale == 3 else [(2, i) for i in range(int(math.log2(scale)))]
    layers: list[nn.Module] = []
    for factor, _ in steps:
        layers += [nn.Conv2d(FEATURES, FEATURES * factor * factor, 3, padding=1), nn.PixelShuffle(factor)]
        if act is not None:
            layers.append(act(FEATURES))
    return layers


class EDSR(nn.Module):
    mean: Tensor

    def __init__(self, scale: int, blocks: int = BLOCKS) -> None:
        super().__init__()
        self.register_buffer("mean", torch.from_numpy(IMAGENET_MEAN).reshape(1, 3, 1, 1))
        self.head = nn.Conv2d(3, FEATURES, 3, padding=1)
        self.body = nn.Sequential(
            *(ResBlock(blocks) for _ in range(blocks)), nn.Conv2d(FEATURES, FEATURES, 3, padding=1)
        )
        self.tail = nn.Sequential(*_upsampler(scale, None), nn.Conv2d(FEATURES, 3, 3, padding=1))

    def forward(self, image: Tensor) -> Tensor:
        x = self.head(image - self.mean)
        return self.tail(x + self.body(x)) + self.mean


class SRBlock(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(FEATURES, FEATURES, 3, padding=1, bias=False),
            nn.BatchNorm2d(FEATURES),
            nn.PReLU(FEATURES),
            nn.Conv2d(FEATURES, FEATURES, 3, padding=1, bias=False),
            nn.BatchNorm2d(FEATURES),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class SRResNet(nn.Module):
    def __init__(self, scale: int, blocks: int = BLOCKS) -> None:
        super().__init__()
        self.head = nn.Sequential(nn.Conv2d(3, FEATURES, 9, padding=4), nn.PReLU(FEATURES))
        self.body = nn.Sequential(
            *(SRBlock() for _ in range(blocks)),
            nn.Conv2d(FEATURES, FEATURES, 3, padding=1, bias=False),
            nn.BatchNorm2d(FEATURES),
        )
        self.tail = nn.Sequential(*_upsampler(scale, nn.PReLU), nn.Conv2d(FEATURES, 3, 9, padding=4))

    def forward(self, image: Tensor) -> Tensor:
        x = self.head(image)
        return self.tail(x + self.body(x))


def _spec(resolution: int) -> tuple[InputSpec, ...]:
    return (InputSpec("image", (1, 3, resolution, resolution), "pixels"),)


def edsr_baseline(scale: int, resolution: int, blocks: int = BLOCKS) -> tuple[nn.Module, tuple[InputSpec, ...]]:
    return EDSR(scale, blocks), _spec(resolution)


def srresnet(scale: int, resolution: int, blocks: int = BLOCKS) -> tuple[nn.Module, tuple[InputSpec, ...]]:
    return SRResNet(scale, blocks), _spec(resolution)
