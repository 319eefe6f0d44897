"""Torch kernels of Cast and CastLike (cast.py): numpy's (C's) conversions. Floats to integers
truncate toward zero, integers wrap to narrower integers, nonzero (and NaN) becomes True.

Float-to-float casts are differentiable (autograd passes the gradient through the rounding); a cast
to an integer or bool type gives a tensor without gradient, as torch does for any such tensor, so
the op itself is not marked no_grad.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from tessera.backends.torch.ints import to_dtype
from tessera.backends.torch.kernel import Call, TorchOp, op, out_dtype
from tessera.ir.ops import cast
from tessera.ir.ops.base import Op


def _cast(x: Sequence[torch.Tensor], c: Call) -> list[torch.Tensor]:
    return [to_dtype(x[0], out_dtype(c))]


KERNELS: dict[type[Op], TorchOp] = {
    cast.Cast: op(_cast),
    cast.CastLike: op(_cast),
}
