"""The torch kernel of every registry op, keyed by op class, gathered from the family files.

tests/backends/torch/test_torch_coverage.py checks that every op of the registry has an entry, so a
new op is a conscious choice here too.
"""

from __future__ import annotations

from tessera.backends.torch import (
    ops_index,
    ops_logic,
    ops_math,
    ops_nn,
    ops_norm,
    ops_pool,
    ops_quant,
    ops_reduce,
    ops_tensor,
)
from tessera.backends.torch.kernel import TorchOp
from tessera.errors import UnsupportedOpError
from tessera.ir.ops.base import Op

TABLE: dict[type[Op], TorchOp] = {
    **ops_math.KERNELS,
    **ops_nn.KERNELS,
    **ops_pool.KERNELS,
    **ops_norm.KERNELS,
    **ops_reduce.KERNELS,
    **ops_tensor.KERNELS,
    **ops_index.KERNELS,
    **ops_logic.KERNELS,
    **ops_quant.KERNELS,
}


def kernel_for(op: type[Op], graph: str, node: str) -> TorchOp:
    kernel = TABLE.get(op)
    if kernel is None:
        raise UnsupportedOpError(f"graph {graph!r}: node {node!r} ({op.name}) has no torch kernel")
    return kernel
