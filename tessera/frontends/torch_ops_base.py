"""The ATen conversion table and the context converters work in.

A converter turns one FX node of an exported program into IR nodes. It is registered for one or more
ATen op names (`"aten.conv2d.default"`) with `@aten(...)`, receives the node's arguments bound to the
op schema's names (`a["input"]`, `a["dim"]`, defaults filled in), and returns the IR Value (or a list
of Values, None where an output is never produced) that stands for the node's result. The converter
asks the context `cx` for IR values of tensor arguments and emits IR nodes through it; the context
checks each result against the shape and dtype torch recorded for the node.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

import numpy as np

from tessera.ir.dtypes import DType
from tessera.ir.graph import Value
from tessera.ir.ops.base import Op
from tessera.ir.types import TensorType

Result = Value | Sequence[Value | None] | None


class Ctx(Protocol):
    """What a converter may ask of the conversion."""

    node: Any  # the torch.fx.Node being converted

    def v(self, arg: Any, dtype: DType | None = None) -> Value:
        """The IR value of a tensor argument (or a Python scalar, as a constant of `dtype`),
        cast to `dtype` when given."""
        ...

    def const(self, data: np.ndarray, hint: str = "c") -> Value: ...

    def emit(self, op: type[Op], inputs: Sequence[Value], attrs: dict[str, Any] | None = None) -> Value: ...

    def emit_multi(
        self, op: type[Op], inputs: Sequence[Value], attrs: dict[str, Any] | None, count: int
    ) -> list[Value]: ...

    def out_type(self, index: int = 0) -> TensorType:
        """The type torch recorded for output `index` of the node."""
        ...

    def arg_type(self, arg: Any) -> TensorType: ...

    def cast(self, value: Value, dtype: DType) -> Value: ...


Converter = Callable[[Ctx, dict[str, Any]], Result]
C = TypeVar("C", bound=Converter)

CONVERTERS: dict[str, Converter] = {}
# Ops whose result is their (first) input: views that keep the layout, eval-mode dropout, asserts.
PASSTHROUGH = frozenset(
    {
        "aten.clone.default",
        "aten.contiguous.default",
        "aten.alias.default",
        "aten.detach.default",
        "aten.lift_fresh_copy.default",
        "aten.dropout.default",
        "aten.feature_dropout.default",
        "aten.alpha_dropout.default",
        "aten.feature_alpha_dropout.default",
    }
)
# Ops that only check metadata at run time; they produce nothing.
IGNORED = frozenset(
    {"aten._assert_tensor_metadata.default", "aten._assert_scalar.default", "aten.sym_constrain_range_for_size.default"}
)


def aten(*names: str) -> Callable[[C], C]:
    """Register a converter for ATen ops given as "name.overload" (the "aten." prefix is added)."""

    def deco(fn: C) -> C:
        for name in names:
            key = f"aten.{name}"
            if key in CONVERTERS:
                raise ValueError(f"ATen op {key} has two converters")
            CONVERTERS[key] = fn
        return fn

    return deco


def ints(value: Any, rank: int) -> list[int]:
    """An int or a list of ints (torch's `int[2]` arguments) as a list of length `rank`."""
    if isinstance(value, (list, tuple)):
        return [int(v) for v in value] * (rank if len(value) == 1 else 1)
    return [int(value)] * rank


def axis(dim: int, rank: int) -> int:
    return dim + rank if dim < 0 else dim
