"""InsertSlice (ai.tessera): shape inference, the reference kernel, and its errors."""

import numpy as np
import pytest

from tessera.errors import ShapeError
from tessera.ir import DType, TensorType
from tessera.ir.ops.tiling import InsertSlice


def test_insert_into_dest_and_into_zeros() -> None:
    dest = np.arange(24, dtype=np.float32).reshape(1, 2, 3, 4)
    src = -np.ones((1, 2, 2, 2), np.float32)
    attrs = InsertSlice.make_attrs({"starts": (1, 2), "axes": (2, 3)})
    (out,) = InsertSlice.compute([dest, src], attrs)
    want = dest.copy()
    want[:, :, 1:3, 2:4] = -1
    np.testing.assert_array_equal(out, want)
    assert dest[0, 0, 1, 2] == 6  # dest is not written
    fresh = InsertSlice.make_attrs({"starts": (0, 1), "axes": (-2, -1), "shape": (1, 2, 3, 4)})
    (out,) = InsertSlice.compute([src.astype(np.int8)], fresh)
    assert out.dtype == np.int8 and out.sum() == -8 and out[0, 0, 0, 1] == -1 and out[0, 0, 2, 0] == 0
    types = [TensorType(DType.INT8, (1, 2, 2, 2))]
    assert InsertSlice.infer(types, fresh) == [TensorType(DType.INT8, (1, 2, 3, 4))]


def test_insert_slice_errors() -> None:
    t = TensorType(DType.FLOAT32, (1, 2, 3, 4))
    src = TensorType(DType.FLOAT32, (1, 2, 2, 2))
    with pytest.raises(ShapeError, match="outside dest"):
        InsertSlice.infer([t, src], InsertSlice.make_attrs({"starts": (2, 0), "axes": (2, 3)}))
    with pytest.raises(ShapeError, match="needs the `shape`"):
        InsertSlice.infer([src], InsertSlice.make_attrs({"starts": (0, 0), "axes": (2, 3)}))
    with pytest.raises(ShapeError, match="dtype"):
        InsertSlice.infer([t, src.with_dtype(DType.INT8)], InsertSlice.make_attrs({"starts": (0, 0), "axes": (2, 3)}))
