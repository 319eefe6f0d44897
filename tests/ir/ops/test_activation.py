"""Activations, Clip and PRelu: custom ONNX mappings, inference errors, MACs, onnxruntime round trips."""

import numpy as np
import pytest
from ort_roundtrip import check_roundtrip, one_node_model

from tessera.errors import ShapeError
from tessera.frontends.onnx_export import export_onnx
from tessera.frontends.onnx_import import load_onnx
from tessera.ir.dtypes import DType
from tessera.ir.ops import lookup
from tessera.ir.types import TensorType

rng = np.random.default_rng(3)


def f32(*shape: int) -> np.ndarray:
    return (3 * rng.standard_normal(shape)).astype(np.float32)


UNARY = [
    ("Relu", {}),
    ("Sigmoid", {}),
    ("Tanh", {}),
    ("Softplus", {}),
    ("Softsign", {}),
    ("Mish", {}),
    ("Gelu", {}),
    ("Gelu", {"approximate": "tanh"}),
    ("HardSigmoid", {"alpha": 0.3, "beta": 0.4}),
    ("HardSwish", {}),
    ("LeakyRelu", {"alpha": 0.2}),
    ("ThresholdedRelu", {"alpha": 0.5}),
    ("Elu", {"alpha": 0.7}),
    ("Selu", {}),
    ("Celu", {"alpha": 2.0}),
    ("Shrink", {"bias": 0.5, "lambd": 1.0}),
]


@pytest.mark.parametrize(("op", "attrs"), UNARY, ids=[f"{c[0]}-{i}" for i, c in enumerate(UNARY)])
def test_unary_roundtrip_matches_onnxruntime(op: str, attrs: dict) -> None:
    x = f32(2, 3, 4)
    check_roundtrip(one_node_model(op, {"x": x}, attrs), {"x": x})


def test_relu_of_integers() -> None:
    x = rng.integers(-5, 5, 8).astype(np.int32)
    check_roundtrip(one_node_model("Relu", {"x": x}), {"x": x})


@pytest.mark.parametrize(
    ("x", "bounds", "order"),
    [
        (f32(3, 4), {"lo": np.float32(-1.0), "hi": np.float32(2.0)}, ["x", "lo", "hi"]),
        (f32(3, 4), {"hi": np.float32(0.5)}, ["x", "", "hi"]),
        (f32(3, 4), {}, ["x"]),
        (rng.integers(-100, 100, 10).astype(np.int8), {"lo": np.int8(-3)}, ["x", "lo"]),
        (rng.integers(-100, 100, 10).astype(np.int64), {"lo": np.int64(5), "hi": np.int64(-5)}, ["x", "lo", "hi"]),
    ],
)
def test_clip_bounds_become_attributes_and_export_in_the_input_dtype(x: np.ndarray, bounds: dict, order: list) -> None:
    model = one_node_model("Clip", {"x": x}, consts=bounds, input_order=order)
    graph = check_roundtrip(model, {"x": x})
    node = graph.nodes[0]
    assert [v.name for v in node.inputs] == ["x"]
    expected = {"min": bounds.get("lo"), "max": bounds.get("hi")}
    assert {k: node.attrs[k] for k in ("min", "max")} == {
        k: None if v is None else float(v) for k, v in expected.items()
    }
    exported = export_onnx(graph)
    assert all(
        init.data_type == exported.graph.input[0].type.tensor_type.elem_type for init in exported.graph.initializer
    )


def test_clip_integer_bounds_saturate_to_the_dtype_range() -> None:
    clip = lookup("Clip")
    x = np.array([-128, 0, 127], dtype=np.int8)
    out = clip.compute([x], clip.make_attrs({"min": -1000.0, "max": 1000.0}))[0]
    assert out.dtype == np.int8 and out.tolist() == [-128, 0, 127]
    big = np.array([np.iinfo(np.int64).max], dtype=np.int64)
    assert clip.compute([big], clip.make_attrs({"max": 2.0**63}))[0].tolist() == big.tolist()


@pytest.mark.parametrize("slope_shape", [(3, 1, 1), (1,), (4, 4)])
def test_prelu_roundtrip_with_broadcast_slope(slope_shape: tuple) -> None:
    x = f32(2, 3, 4, 4)
    feeds = {"x": x, "slope": rng.uniform(0, 1, slope_shape).astype(np.float32)}
    check_roundtrip(one_node_model("PRelu", feeds), feeds)


def test_prelu_slope_may_not_enlarge_x() -> None:
    prelu = lookup("PRelu")
    types = [TensorType(DType.FLOAT32, (3,)), TensorType(DType.FLOAT32, (2, 3))]
    with pytest.raises(ShapeError, match="does not broadcast to X"):
        prelu.infer(types, prelu.make_attrs({}))


@pytest.mark.parametrize(
    ("op", "attrs", "dtype", "message"),
    [
        ("Gelu", {"approximate": "erf"}, DType.FLOAT32, "approximate"),
        ("Celu", {"alpha": 0.0}, DType.FLOAT32, "alpha"),
        ("Sigmoid", {}, DType.INT32, "dtype int32"),
        ("Relu", {}, DType.UINT8, "dtype uint8"),
        ("Clip", {}, DType.BOOL, "dtype bool"),
    ],
)
def test_invalid_attributes_and_dtypes_are_rejected(op: str, attrs: dict, dtype: DType, message: str) -> None:
    cls = lookup(op)
    with pytest.raises(ShapeError, match=message):
        cls.infer([TensorType(dtype, (3,))], cls.make_attrs(attrs))


def test_gelu_import_rejects_unknown_attributes() -> None:
    x = f32(3)
    with pytest.raises(ShapeError, match="not supported"):
        load_onnx(one_node_model("Gelu", {"x": x}, {"mode": 1}))


def test_float16_activations_match_a_float64_computation() -> None:
    gelu = lookup("Gelu")
    x = np.linspace(-6, 6, 241).astype(np.float16)
    out = gelu.compute([x], gelu.make_attrs({}))[0]
    reference = gelu.compute([x.astype(np.float64)], gelu.make_attrs({}))[0]
    assert out.dtype == np.float16
    np.testing.assert_allclose(out.astype(np.float64), reference, rtol=1e-3, atol=1e-3)


def test_activations_count_no_macs() -> None:
    # MACs count multiply-accumulates (conv, gemm, elementwise arithmetic), as published figures do
    types = [TensorType(DType.FLOAT32, (2, 3))]
    for op in ("Sigmoid", "Gelu", "Clip"):
        cls = lookup(op)
        attrs = cls.make_attrs({})
        assert cls.macs(types, cls.infer(types, attrs), attrs) == 0
