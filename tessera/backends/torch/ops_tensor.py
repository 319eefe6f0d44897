"""Torch kernels of the data-movement families: shapes (shape_ops.py), Concat / Slice / Split /
Tile / Expand (tensor.py), gathers (indexing.py), layout, Pad, Resize, Cast and the identities."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from tessera.backends.torch.kernel import Call, TorchOp, op
from tessera.ir.ops import shape_ops
from tessera.ir.ops.base import Op

Ts = Sequence[torch.Tensor]


def _to_output_shape(x: Ts, c: Call) -> list[torch.Tensor]:
    """Reshape, Flatten, Squeeze, Unsqueeze: the output's static shape says it all."""
    return [x[0].reshape(c.outputs[0].shape)]


KERNELS: dict[type[Op], TorchOp] = {
    shape_ops.Reshape: op(_to_output_shape),
    shape_ops.Flatten: op(_to_output_shape),
    shape_ops.Squeeze: op(_to_output_shape),
    shape_ops.Unsqueeze: op(_to_output_shape),
}
