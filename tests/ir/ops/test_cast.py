"""Cast and CastLike: element-type codes, conversion semantics, unsupported targets, round trips."""

import numpy as np
import pytest
from onnx import TensorProto
from ort_roundtrip import check_roundtrip, one_node_model

from tessera.errors import ShapeError
from tessera.frontends.onnx_export import export_onnx
from tessera.frontends.onnx_import import load_onnx
from tessera.frontends.onnx_types import ONNX_TO_DTYPE
from tessera.ir.dtypes import DType
from tessera.ir.ops import lookup
from tessera.ir.ops._onnx_codes import CODE_TO_DTYPE
from tessera.ir.types import TensorType

rng = np.random.default_rng(5)

SOURCES = {
    "float32": (20 * rng.standard_normal(12)).astype(np.float32),
    "float64": (20 * rng.standard_normal(12)).astype(np.float64),
    "int64": rng.integers(-300, 300, 12).astype(np.int64),
    "uint8": rng.integers(0, 255, 12).astype(np.uint8),
    "bool": rng.random(12) < 0.5,
}
TARGETS = [TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.INT32, TensorProto.INT8, TensorProto.UINT16]
TARGETS += [TensorProto.BOOL, TensorProto.DOUBLE]


def test_codes_agree_with_onnx() -> None:
    assert CODE_TO_DTYPE == ONNX_TO_DTYPE


@pytest.mark.parametrize("source", sorted(SOURCES))
@pytest.mark.parametrize("to", TARGETS)
def test_cast_roundtrip_matches_onnxruntime(source: str, to: int) -> None:
    x = SOURCES[source]
    if CODE_TO_DTYPE[to].is_int and x.dtype.kind == "f":
        x = np.clip(x, -100, 100)  # out-of-range float -> int is undefined
    check_roundtrip(one_node_model("Cast", {"x": x}, {"to": to}), {"x": x})


def test_cast_semantics() -> None:
    cast = lookup("Cast")
    x = np.array([2.7, -2.7, 0.0, -0.0, np.nan], dtype=np.float32)
    assert cast.compute([x[:4]], cast.make_attrs({"to": DType.INT32}))[0].tolist() == [2, -2, 0, 0]
    assert cast.compute([x], cast.make_attrs({"to": DType.BOOL}))[0].tolist() == [True, True, False, False, True]
    wide = np.array([200, -129, 256], dtype=np.int16)
    assert cast.compute([wide], cast.make_attrs({"to": DType.INT8}))[0].tolist() == [-56, 127, 0]


def test_castlike_takes_the_dtype_of_its_second_input_and_exports_as_cast() -> None:
    feeds = {"x": SOURCES["float32"], "like": np.zeros(2, dtype=np.int64)}
    graph = check_roundtrip(one_node_model("CastLike", feeds), feeds)
    node = graph.nodes[0]
    assert node.attrs["to"] is DType.INT64 and [v.name for v in node.inputs] == ["x"]
    assert [n.op_type for n in export_onnx(graph).graph.node] == ["Cast"]


def test_saturate_and_round_mode_are_accepted() -> None:
    x = SOURCES["float64"]
    model = one_node_model("Cast", {"x": x}, {"to": TensorProto.FLOAT, "saturate": 0, "round_mode": "up"}, opset=25)
    assert load_onnx(model).nodes[0].attrs["to"] is DType.FLOAT32


@pytest.mark.parametrize(("to", "name"), [(TensorProto.BFLOAT16, "BFLOAT16"), (TensorProto.FLOAT8E4M3FN, "FLOAT8")])
def test_unsupported_targets_are_named(to: int, name: str) -> None:
    with pytest.raises(ShapeError, match=name):
        load_onnx(one_node_model("Cast", {"x": SOURCES["float32"]}, {"to": to}))


def test_cast_counts_no_macs() -> None:
    cast = lookup("Cast")
    attrs = cast.make_attrs({"to": DType.INT8})
    types = [TensorType(DType.FLOAT32, (5,))]
    assert cast.macs(types, cast.infer(types, attrs), attrs) == 0
