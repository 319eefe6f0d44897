"""Torch kernels: to be filled."""

from __future__ import annotations

from tessera.backends.torch.kernel import TorchOp
from tessera.ir.ops.base import Op

KERNELS: dict[type[Op], TorchOp] = {}
