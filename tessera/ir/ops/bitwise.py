"""Bitwise ops on integers: BitwiseAnd, BitwiseOr, BitwiseXor, BitwiseNot, BitShift. No MACs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tessera.errors import ShapeError
from tessera.ir.ops._util import SIGNED_INTS, UNSIGNED_INTS, require_dtype
from tessera.ir.ops.base import Attr, Attrs, Op, register
from tessera.ir.ops.elementwise import BinaryOp
from tessera.ir.traits import Elementwise
from tessera.ir.types import TensorType

INTS = SIGNED_INTS + UNSIGNED_INTS


class BitwiseOp(BinaryOp):
    allowed = INTS

    @classmethod
    def macs(cls, inputs: Sequence[TensorType], outputs: Sequence[TensorType], attrs: Attrs) -> int:
        return 0


@register
class BitwiseAnd(BitwiseOp):
    name = "BitwiseAnd"
    fn = staticmethod(np.bitwise_and)


@register
class BitwiseOr(BitwiseOp):
    name = "BitwiseOr"
    fn = staticmethod(np.bitwise_or)


@register
class BitwiseXor(BitwiseOp):
    name = "BitwiseXor"
    fn = staticmethod(np.bitwise_xor)


@register
class BitwiseNot(Op):
    traits = frozenset({Elementwise})
    name = "BitwiseNot"

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        require_dtype(inputs[0], INTS, "BitwiseNot input")
        return [inputs[0]]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        return [np.invert(inputs[0])]


@register
class BitShift(BitwiseOp):
    """Shift X by Y bits (opset 28 semantics). A right shift of a signed X is arithmetic; a left shift
    drops the bits pushed past the top. A count below 0 or at least the bit width gives -1 for a right
    shift of a negative X and 0 otherwise."""

    name = "BitShift"
    attrs = {"direction": Attr("str")}

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        if attrs["direction"] not in ("LEFT", "RIGHT"):
            raise ShapeError(f"BitShift direction must be 'LEFT' or 'RIGHT', got {attrs['direction']!r}")
        return super().infer(inputs, attrs)

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x, count = np.broadcast_arrays(*inputs)
        dtype = x.dtype
        in_range = (count >= 0) & (count < dtype.itemsize * 8)
        count = np.where(in_range, count, 0).astype(dtype)
        if attrs["direction"] == "RIGHT":
            shifted = np.right_shift(x, count)
            fill = np.where(x < 0, -1, 0).astype(dtype)
        else:
            unsigned = np.dtype(f"u{dtype.itemsize}")  # shift the two's-complement bits; no overflow
            shifted = np.left_shift(x.astype(unsigned), count.astype(unsigned)).astype(dtype)
            fill = np.zeros(x.shape, dtype)
        return [np.where(in_range, shifted, fill)]
