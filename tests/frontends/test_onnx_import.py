"""ONNX import features: sources, opset conversion, folding, pinning, export round trip."""

from pathlib import Path

import numpy as np
import onnx
import pytest
from conftest import ORT, require
from onnx import TensorProto, helper, numpy_helper
from onnx_builders import add_relu, model, tensor

import tessera
from tessera.frontends.onnx_import import load_onnx

ort = require("onnxruntime", ORT)


def ort_run(m: onnx.ModelProto, feeds: dict) -> list[np.ndarray]:
    return ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)


@pytest.mark.parametrize("kind", ["path", "str", "bytes", "proto"])
def test_sources(kind: str, tmp_path: Path) -> None:
    m = add_relu()
    path = tmp_path / "m.onnx"
    onnx.save(m, path)
    source = {"path": path, "str": str(path), "bytes": m.SerializeToString(), "proto": m}[kind]
    g = tessera.load(source)
    assert g.op_counts() == {"Add": 1, "Relu": 1}


def test_old_opset_is_converted_and_matches_onnxruntime(rng: np.random.Generator) -> None:
    m = add_relu(opset=9)
    x = rng.standard_normal((2, 4)).astype(np.float32)
    (want,) = ort_run(m, {"x": x})
    got = tessera.run(tessera.load(m), {"x": x})["y"]
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_shape_subgraph_and_constant_of_shape_fold_to_constants() -> None:
    nodes = [
        helper.make_node("Shape", ["x"], ["s"], name="shape"),
        helper.make_node(
            "ConstantOfShape", ["s"], ["ones"], name="fill", value=numpy_helper.from_array(np.array([1.0], np.float32))
        ),
        helper.make_node("Add", ["x", "ones"], ["y"], name="add"),
    ]
    g = tessera.load(model(nodes, [tensor("x", [2, 3])], [tensor("y", [2, 3])]))
    assert g.op_counts() == {"Add": 1}
    (folded,) = [v for v in g.constants.values()]
    np.testing.assert_array_equal(folded.data, np.ones((2, 3), np.float32))


def test_constant_node_forms() -> None:
    nodes = [
        helper.make_node("Constant", [], ["c"], value_floats=[1.0, 2.0]),
        helper.make_node("Add", ["x", "c"], ["y"]),
    ]
    g = tessera.load(model(nodes, [tensor("x", [2])], [tensor("y", [2])]))
    out = tessera.run(g, {"x": np.zeros(2, np.float32)})["y"]
    np.testing.assert_array_equal(out, [1.0, 2.0])


def test_initializer_listed_as_input_is_a_constant() -> None:
    m = add_relu()
    m.graph.input.append(tensor("b", [4]))
    g = tessera.load(m)
    assert [v.name for v in g.inputs] == ["x"] and "b" in g.constants


def test_export_round_trip_runs_in_onnxruntime(rng: np.random.Generator) -> None:
    g = tessera.load(add_relu())
    exported = tessera.export_onnx(g)
    onnx.checker.check_model(exported)
    x = rng.standard_normal((2, 4)).astype(np.float32)
    (want,) = ort_run(exported, {"x": x})
    np.testing.assert_allclose(tessera.run(g, {"x": x})["y"], want, rtol=1e-6)
    again = load_onnx(exported)
    assert str(again).replace("graph m", "graph x") == str(g).replace("graph m", "graph x")


def test_bool_and_int_tensors_pass_through() -> None:
    nodes = [helper.make_node("Identity", ["x"], ["y"])]
    m = model(nodes, [tensor("x", [3], TensorProto.INT32)], [tensor("y", [3], TensorProto.INT32)])
    out = tessera.run(tessera.load(m), {"x": np.array([1, 2, 3], np.int32)})["y"]
    assert out.dtype == np.int32 and out.tolist() == [1, 2, 3]
