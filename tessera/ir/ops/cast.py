"""Cast and CastLike: convert elements to another dtype, with numpy's (C's) conversions: floats to
integers truncate toward zero, integers wrap to narrower integers, nonzero becomes True.

ONNX writes the target as an element-type code (`to`); Tessera holds it as a DType attribute.
`saturate` and `round_mode` only concern float8 targets, which Tessera does not have, so both are
accepted and ignored. CastLike's second input gives only a dtype: the importer turns it into the
`to` attribute, so the node does not keep that tensor alive."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tessera.errors import ShapeError
from tessera.ir.ops._onnx_codes import DTYPE_TO_CODE, dtype_of_code
from tessera.ir.ops.base import Attr, Attrs, Imported, OnnxNodeSpec, OnnxNodeView, Op, ignore_onnx_attrs, register
from tessera.ir.traits import Elementwise
from tessera.ir.types import TensorType


@register
class Cast(Op):
    traits = frozenset({Elementwise})
    name = "Cast"
    attrs = {"to": Attr("dtype")}

    @classmethod
    def from_onnx(cls, view: OnnxNodeView) -> Imported:
        imported = super().from_onnx(view)
        if "to" not in view.attrs:
            raise ShapeError("Cast needs attribute 'to'")
        imported.attrs["to"] = dtype_of_code(view.attrs["to"], "Cast target 'to'")
        return imported

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        return [inputs[0].with_dtype(attrs["to"])]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        with np.errstate(invalid="ignore"):  # NaN or out-of-range float -> int is undefined in ONNX too
            return [np.asarray(inputs[0]).astype(attrs["to"].numpy())]

    @classmethod
    def to_onnx(cls, attrs: Attrs, input_types: Sequence[TensorType]) -> OnnxNodeSpec:
        return OnnxNodeSpec("Cast", {"to": DTYPE_TO_CODE[attrs["to"]]}, [0])


@register
class CastLike(Cast):
    """Cast to the dtype of the second ONNX input; exported as a Cast."""

    traits = frozenset()  # the output's dtype comes from a second input of any shape
    name = "CastLike"

    @classmethod
    def from_onnx(cls, view: OnnxNodeView) -> Imported:
        if len(view.input_types) < 2 or view.input_types[1] is None:
            raise ShapeError("CastLike needs its second input (target_type)")
        ignored = sorted(set(view.attrs) - {"saturate", "round_mode"})
        if ignored:
            raise ShapeError(f"CastLike: attribute(s) {', '.join(ignored)} are not supported")
        return Imported([0], {"to": view.input_types[1].dtype})


ignore_onnx_attrs("Cast", "saturate", "round_mode")
