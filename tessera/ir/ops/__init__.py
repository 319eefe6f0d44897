"""The op registry. Importing this package registers every op family.

Op classes live in their family modules (`from tessera.ir.ops.conv import Conv`); look ops up by
ONNX name with `lookup("Conv")`.
"""

from tessera.ir.ops import (  # noqa: F401  (imported to register their ops)
    activation,
    binary,
    bitwise,
    cast,
    clip,
    conv,
    elementwise,
    identity,
    indexing,
    layout,
    linalg,
    logic,
    math_unary,
    normalization,
    pad,
    pooling,
    quantized,
    quantized_eltwise,
    quantized_nn,
    reduce,
    resize,
    shape_ops,
    softmax,
    tensor,
    tiling,
)
from tessera.ir.ops.base import Attr, Attrs, Imported, OnnxNodeSpec, OnnxNodeView, Op, all_ops, lookup, register

__all__ = ["Attr", "Attrs", "Imported", "OnnxNodeSpec", "OnnxNodeView", "Op", "all_ops", "lookup", "register"]
