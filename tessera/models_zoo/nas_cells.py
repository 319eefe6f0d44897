"""Cell-based NAS networks: NASNet-A (Zoph et al. 2018), AmoebaNet-A (Real et al. 2019) and DARTS
(V2, Liu et al. 2019), with the genotypes as data (as in the DARTS code's genotypes.py) and one
network skeleton for all three (the DARTS NetworkCIFAR / NetworkImageNet, no auxiliary head; a ReLU
before global pooling as in TF-slim NASNet, which keeps the logits well conditioned).

A genotype lists, for each intermediate node of a cell, two (op, input) pairs; inputs 0 and 1 are
the two previous cells' outputs, i >= 2 the cell's node i - 2. The cell output concatenates the
nodes in `*_concat`. Reduction cells apply stride 2 to ops reading inputs 0 and 1.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from tessera.errors import TesseraError
from tessera.models_zoo.inputs import InputSpec, image

Built = tuple[nn.Module, tuple[InputSpec, ...]]


class Genotype(NamedTuple):
    normal: tuple[tuple[str, int], ...]
    normal_concat: tuple[int, ...]
    reduce: tuple[tuple[str, int], ...]
    reduce_concat: tuple[int, ...]


NASNET = Genotype(
    normal=(
        ("sep_conv_5x5", 1), ("sep_conv_3x3", 0), ("sep_conv_5x5", 0), ("sep_conv_3x3", 0), ("avg_pool_3x3", 1),
        ("skip_connect", 0), ("avg_pool_3x3", 0), ("avg_pool_3x3", 0), ("sep_conv_3x3", 1), ("skip_connect", 1),
    ),
    normal_concat=(2, 3, 4, 5, 6),
    reduce=(
        ("sep_conv_5x5", 1), ("sep_conv_7x7", 0), ("max_pool_3x3", 1), ("sep_conv_7x7", 0), ("avg_pool_3x3", 1),
        ("sep_conv_5x5", 0), ("skip_connect", 3), ("avg_pool_3x3", 2), ("sep_conv_3x3", 2), ("max_pool_3x3", 1),
    ),
    reduce_concat=(4, 5, 6),
)  # fmt: skip

AMOEBANET = Genotype(
    normal=(
        ("avg_pool_3x3", 0), ("max_pool_3x3", 1), ("sep_conv_3x3", 0), ("sep_conv_5x5", 2), ("sep_conv_3x3", 0),
        ("avg_pool_3x3", 3), ("sep_conv_3x3", 1), ("skip_connect", 1), ("skip_connect", 0), ("avg_pool_3x3", 1),
    ),
    normal_concat=(4, 5, 6),
    reduce=(
        ("avg_pool_3x3", 0), ("sep_conv_3x3", 1), ("max_pool_3x3", 0), ("sep_conv_7x7", 2), ("sep_conv_7x7", 0),
        ("avg_pool_3x3", 1), ("max_pool_3x3", 0), ("max_pool_3x3", 1), ("conv_7x1_1x7", 0), ("sep_conv_3x3", 5),
    ),
    reduce_concat=(3, 4, 6),
)  # fmt: skip

DARTS_V2 = Genotype(
    normal=(
        ("sep_conv_3x3", 0), ("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("sep_conv_3x3", 1),
        ("sep_conv_3x3", 1), ("skip_connect", 0), ("skip_connect", 0), ("dil_conv_3x3", 2),
    ),
    normal_concat=(2, 3, 4, 5),
    reduce=(
        ("max_pool_3x3", 0), ("max_pool_3x3", 1), ("skip_connect", 2), ("max_pool_3x3", 1),
        ("max_pool_3x3", 0), ("skip_connect", 2), ("skip_connect", 2), ("max_pool_3x3", 1),
    ),
    reduce_concat=(2, 3, 4, 5),
)  # fmt: skip

GENOTYPES = {"nasnet": NASNET, "amoebanet": AMOEBANET, "darts": DARTS_V2}


def relu_conv_bn(c_in: int, c_out: int, kernel, stride, padding, dilation: int = 1, groups: int = 1) -> list[nn.Module]:
    return [
        nn.ReLU(),
        nn.Conv2d(c_in, c_out, kernel, stride, padding, dilation, groups, bias=False),
        nn.BatchNorm2d(c_out),
    ]


def sep_conv(c: int, k: int, stride: int) -> nn.Module:
    """Two rounds of ReLU, depthwise k x k, pointwise 1x1, BatchNorm (stride on the first)."""
    first = [
        nn.ReLU(),
        nn.Conv2d(c, c, k, stride, k // 2, groups=c, bias=False),
        nn.Conv2d(c, c, 1, bias=False),
        nn.BatchNorm2d(c),
    ]
    second = [
        nn.ReLU(),
        nn.Conv2d(c, c, k, 1, k // 2, groups=c, bias=False),
        nn.Conv2d(c, c, 1, bias=False),
        nn.BatchNorm2d(c),
    ]
    return nn.Sequential(*first, *second)


def dil_conv(c: int, k: int, stride: int) -> nn.Module:
    pad = k - 1  # dilation 2
    return nn.Sequential(
        nn.ReLU(), nn.Conv2d(c, c, k, stride, pad, 2, c, bias=False), nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c)
    )


class FactorizedReduce(nn.Module):
    """Halve the resolution without losing pixels: two stride-2 1x1 convs, one shifted by a pixel."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.relu = nn.ReLU()
        self.conv1 = nn.Conv2d(c_in, c_out // 2, 1, 2, bias=False)
        self.conv2 = nn.Conv2d(c_in, c_out - c_out // 2, 1, 2, bias=False)
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x: Tensor) -> Tensor:
        x = self.relu(x)
        return self.bn(torch.cat([self.conv1(x), self.conv2(x[:, :, 1:, 1:])], dim=1))


def make_op(name: str, c: int, stride: int) -> nn.Module:
    if name == "skip_connect":
        return nn.Identity() if stride == 1 else FactorizedReduce(c, c)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride, 1, count_include_pad=False)
    if name == "max_pool_3x3":
        return nn.MaxPool2d(3, stride, 1)
    if name.startswith("sep_conv_"):
        return sep_conv(c, int(name[-1]), stride)
    if name.startswith("dil_conv_"):
        return dil_conv(c, int(name[-1]), stride)
    if name == "conv_7x1_1x7":
        return nn.Sequential(
            nn.ReLU(),
            nn.Conv2d(c, c, (1, 7), (1, stride), (0, 3), bias=False),
            nn.Conv2d(c, c, (7, 1), (stride, 1), (3, 0), bias=False),
            nn.BatchNorm2d(c),
        )
    raise TesseraError(f"zoo NAS cell: unknown op {name!r} in a genotype")


class Cell(nn.Module):
    def __init__(self, genotype: Genotype, c_pp: int, c_p: int, c: int, reduction: bool, reduction_prev: bool):
        super().__init__()
        self.pre0 = FactorizedReduce(c_pp, c) if reduction_prev else nn.Sequential(*relu_conv_bn(c_pp, c, 1, 1, 0))
        self.pre1 = nn.Sequential(*relu_conv_bn(c_p, c, 1, 1, 0))
        pairs = genotype.reduce if reduction else genotype.normal
        self.concat = genotype.reduce_concat if reduction else genotype.normal_concat
        self.indices = [index for _, index in pairs]
        self.ops = nn.ModuleList(make_op(op, c, 2 if reduction and index < 2 else 1) for op, index in pairs)
        self.multiplier = len(self.concat)

    def forward(self, s0: Tensor, s1: Tensor) -> Tensor:
        states = [self.pre0(s0), self.pre1(s1)]
        for i in range(0, len(self.ops), 2):
            a = self.ops[i](states[self.indices[i]])
            b = self.ops[i + 1](states[self.indices[i + 1]])
            states.append(a + b)
        return torch.cat([states[i] for i in self.concat], dim=1)


class CellNetwork(nn.Module):
    def __init__(self, genotype: Genotype, channels: int, layers: int, num_classes: int, imagenet: bool) -> None:
        super().__init__()
        if imagenet:  # three stride-2 convolutions, as NetworkImageNet
            half = channels // 2
            self.stem0 = nn.Sequential(
                nn.Conv2d(3, half, 3, 2, 1, bias=False), nn.BatchNorm2d(half), nn.ReLU(),
                nn.Conv2d(half, channels, 3, 2, 1, bias=False), nn.BatchNorm2d(channels),
            )  # fmt: skip
            self.stem1: nn.Module | None = nn.Sequential(*relu_conv_bn(channels, channels, 3, 2, 1))
            c_pp, c_p, c, reduction_prev = channels, channels, channels, True
        else:
            stem = 3 * channels
            self.stem0 = nn.Sequential(nn.Conv2d(3, stem, 3, 1, 1, bias=False), nn.BatchNorm2d(stem))
            self.stem1 = None
            c_pp, c_p, c, reduction_prev = stem, stem, channels, False
        self.cells = nn.ModuleList()
        for i in range(layers):
            reduction = i in (layers // 3, 2 * layers // 3)
            c = c * 2 if reduction else c
            cell = Cell(genotype, c_pp, c_p, c, reduction, reduction_prev)
            self.cells.append(cell)
            c_pp, c_p, reduction_prev = c_p, cell.multiplier * c, reduction
        self.classifier = nn.Linear(c_p, num_classes)

    def forward(self, image: Tensor) -> Tensor:
        s0 = self.stem0(image)
        s1 = self.stem1(s0) if self.stem1 is not None else s0
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        return self.classifier(s1.relu().mean((2, 3)))  # ReLU before pooling, as TF NASNet's head


def cell_network(
    genotype: str, dataset: str, channels: int, layers: int, resolution: int, num_classes: int
) -> tuple[nn.Module, tuple[InputSpec, ...]]:
    imagenet = dataset == "imagenet"
    reductions = 2 + (3 if imagenet else 0)
    if layers < 1 or channels < 2 or resolution % 2**reductions or resolution < 2**reductions:
        raise TesseraError(
            f"zoo {genotype}-{dataset}: need layers >= 1, channels >= 2, and resolution a multiple of {2**reductions}"
        )
    model = CellNetwork(GENOTYPES[genotype], channels, layers, num_classes, imagenet)
    return model, (image((1, 3, resolution, resolution)),)


def nasnet(dataset: str, channels: int, layers: int, resolution: int, num_classes: int) -> Built:
    return cell_network("nasnet", dataset, channels, layers, resolution, num_classes)


def amoebanet(dataset: str, channels: int, layers: int, resolution: int, num_classes: int) -> Built:
    return cell_network("amoebanet", dataset, channels, layers, resolution, num_classes)


def darts(dataset: str, channels: int, layers: int, resolution: int, num_classes: int) -> Built:
    return cell_network("darts", dataset, channels, layers, resolution, num_classes)
