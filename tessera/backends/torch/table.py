"""The torch kernel of every registry op, keyed by op class, gathered from the family files.

tests/backends/torch/test_torch_coverage.py checks that every op of the registry has an entry, so a
new op is a conscious choice here too.
"""

from __future__ import annotations

from tessera.backends.torch import (
    ops_activation,
    ops_binary,
    ops_cast,
    ops_index,
    ops_logic,
    ops_math,
    ops_nn,
    ops_norm,
    ops_pool,
    ops_quant,
    ops_reduce,
    ops_tensor,
    ops_unary,
)
from tessera.backends.torch.kernel import TorchOp
from tessera.errors import UnsupportedOpError
from tessera.ir.ops.base import Op

FAMILIES = (
    *(ops_math, ops_unary, ops_activation, ops_cast, ops_nn, ops_pool),
    *(ops_norm, ops_reduce, ops_tensor, ops_index, ops_logic, ops_quant, ops_binary),
)


def _merged() -> dict[type[Op], TorchOp]:
    """Every family's kernels in one table; an op two families both claim is a bug caught here."""
    table: dict[type[Op], TorchOp] = {}
    for family in FAMILIES:
        twice = sorted(op.name for op in table.keys() & family.KERNELS.keys())
        if twice:
            raise RuntimeError(f"{family.__name__} defines torch kernels other families have: {', '.join(twice)}")
        table.update(family.KERNELS)
    return table


TABLE: dict[type[Op], TorchOp] = _merged()


def kernel_for(op: type[Op], graph: str, node: str) -> TorchOp:
    kernel = TABLE.get(op)
    if kernel is None:
        raise UnsupportedOpError(f"graph {graph!r}: node {node!r} ({op.name}) has no torch kernel")
    return kernel
