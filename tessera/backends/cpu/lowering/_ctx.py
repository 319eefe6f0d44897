"""What a lowering rule sees: the node being lowered, the block builder, and small helpers.

A rule is `rule(ctx, args) -> relax.Expr | list[relax.Expr]`, one expression per node output. Rules
use `relax.op.*` where Relax has the op and tensor expressions (`ctx.emit_te`) for the rest. Every
shape is static, so rules read sizes from the node's inferred types rather than from Relax.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from tvm import relax

from tessera.errors import UnsupportedOpError
from tessera.ir.graph import Node
from tessera.ir.types import TensorType

Rule = Callable[["Ctx", list[relax.Expr]], "relax.Expr | list[relax.Expr]"]


@dataclass(frozen=True)
class Ctx:
    bb: relax.BlockBuilder
    node: Node

    @property
    def attrs(self) -> Any:
        return self.node.attrs

    @property
    def in_types(self) -> list[TensorType]:
        return [v.type for v in self.node.inputs]

    @property
    def out(self) -> TensorType:
        return self.node.outputs[0].type

    def const(self, value: float | int | bool | np.ndarray, dtype: str | None = None) -> relax.Expr:
        """A constant of `dtype` (default: the first input's dtype)."""
        dtype = dtype or self.in_types[0].dtype.value
        return constant(np.asarray(value, dtype=np.dtype(dtype)))

    def emit_te(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> relax.Expr:
        return self.bb.emit_te(fn, *args, primfunc_name_hint=_hint(self.node.op.name), **kwargs)

    def unsupported(self, what: str) -> UnsupportedOpError:
        return UnsupportedOpError(
            f"cpu target: node {self.node.name!r} ({self.node.op.name}): {what} is not supported by the TVM "
            "lowering; compile for the reference target, or rewrite the model to avoid it"
        )


def constant(array: np.ndarray) -> relax.Expr:
    """A Relax constant that keeps the array's dtype (`relax.const` alone turns int64 and float64
    into int32 and float32)."""
    array = np.ascontiguousarray(array)
    if array.ndim == 0:
        return relax.const(array.item(), str(array.dtype))
    return relax.const(array, str(array.dtype))


def prim(value: float | int, dtype: str) -> relax.Expr:
    """A scalar PrimValue, for ops that take one (one_hot's on and off values)."""
    from tvm import tirx

    return relax.prim_value(tirx.const(value, dtype))


def _hint(op_name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in op_name.lower())
