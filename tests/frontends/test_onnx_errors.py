"""Hostile or broken models give a TesseraError that says what is wrong, and nothing is written."""

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx_builders import add_relu, model, tensor

import tessera
from tessera.errors import ModelLoadError, ShapeError, TesseraError, UnsupportedOpError


def compile_writes_nothing(source, tmp_path: Path, error: type[TesseraError], match: str) -> None:
    out = tmp_path / "out"
    with pytest.raises(error, match=match):
        tessera.compile(source, out_dir=out)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name != "model.onnx" and not p.name.endswith(".bin")] == []


def test_truncated_file(tmp_path: Path) -> None:
    data = add_relu().SerializeToString()
    path = tmp_path / "model.onnx"
    path.write_bytes(data[: len(data) // 2])
    compile_writes_nothing(path, tmp_path, ModelLoadError, "model.onnx.*(truncated|not a valid ONNX)")


def test_not_onnx_at_all(tmp_path: Path) -> None:
    path = tmp_path / "model.onnx"
    path.write_bytes(b"\x00\xff garbage" * 10)
    with pytest.raises(ModelLoadError, match="not a valid ONNX"):
        tessera.load(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="no such model file"):
        tessera.load(tmp_path / "absent.onnx")


def test_cyclic_graph(tmp_path: Path) -> None:
    nodes = [helper.make_node("Relu", ["b"], ["a"], name="n1"), helper.make_node("Relu", ["a"], ["b"], name="n2")]
    m = model(nodes, [tensor("x", [1])], [tensor("b", [1])])
    compile_writes_nothing(m, tmp_path, ModelLoadError, "cycle through node 'n[12]'")


def test_shape_mismatch_names_node() -> None:
    nodes = [helper.make_node("Add", ["x", "z"], ["y"], name="bad_add")]
    m = model(nodes, [tensor("x", [2, 3]), tensor("z", [4])], [tensor("y", [2, 3])])
    with pytest.raises(ShapeError, match=r"bad_add.*\(Add\).*do not broadcast"):
        tessera.load(m)


def test_declared_output_shape_mismatch() -> None:
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="r")]
    m = model(nodes, [tensor("x", [2, 3])], [tensor("y", [3, 2])])
    with pytest.raises(ShapeError, match="output 'y' is declared with shape"):
        tessera.load(m)


def test_unknown_ops_are_listed_all_at_once(tmp_path: Path) -> None:
    nodes = [
        helper.make_node("FancyOp", ["x"], ["a"], name="f1"),
        helper.make_node("Relu", ["a"], ["b"], name="r"),
        helper.make_node("FancyOp", ["b"], ["c"], name="f2"),
        helper.make_node("Weird", ["c"], ["y"], name="w", domain="com.example"),
    ]
    m = model(nodes, [tensor("x", [1])], [tensor("y", [1])])
    m.opset_import.append(helper.make_opsetid("com.example", 1))
    with pytest.raises(UnsupportedOpError) as err:
        tessera.load(m)
    msg = str(err.value)
    assert "2 unsupported op type(s)" in msg
    assert "FancyOp (nodes: f1, f2)" in msg and "com.example::Weird (nodes: w)" in msg


def test_external_data_outside_model_folder_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.bin"
    secret.write_bytes(np.ones(4, np.float32).tobytes())
    folder = tmp_path / "models"
    folder.mkdir()
    m = add_relu()
    b = m.graph.initializer[0]
    b.ClearField("float_data")
    b.ClearField("raw_data")
    b.data_location = TensorProto.EXTERNAL
    for key, value in {"location": "../secret.bin", "offset": "0", "length": "16"}.items():
        entry = b.external_data.add()
        entry.key, entry.value = key, value
    path = folder / "model.onnx"
    path.write_bytes(m.SerializeToString())
    out = folder / "out"
    with pytest.raises(ModelLoadError, match="outside the model's folder"):
        tessera.compile(path, out_dir=out)
    assert not out.exists()


def test_external_data_inside_folder_loads(tmp_path: Path) -> None:
    m = add_relu()
    onnx.save_model(
        m,
        tmp_path / "model.onnx",
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location="weights.bin",
        size_threshold=0,
    )
    g = tessera.load(tmp_path / "model.onnx")
    np.testing.assert_array_equal(g.constants["b"].data, np.linspace(-1, 1, 4).astype(np.float32))


def test_external_data_from_bytes_is_refused(tmp_path: Path) -> None:
    onnx.save_model(add_relu(), tmp_path / "model.onnx", save_as_external_data=True, location="w.bin", size_threshold=0)
    with pytest.raises(ModelLoadError, match="load it from its path"):
        tessera.load((tmp_path / "model.onnx").read_bytes())


def test_dynamic_shape_asks_for_input_shapes() -> None:
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="r")]
    m = model(nodes, [tensor("x", ["batch", 3])], [tensor("y", ["batch", 3])])
    with pytest.raises(ShapeError, match=r"'x' \['batch', 3\].*input_shapes=.*--input-shape"):
        tessera.load(m)
    g = tessera.load(m, input_shapes={"x": (5, 3)})
    assert g.outputs[0].shape == (5, 3)


def test_input_shapes_must_name_real_inputs_and_agree() -> None:
    with pytest.raises(ShapeError, match="no graph input named 'nope'"):
        tessera.load(add_relu(), input_shapes={"nope": (1,)})
    with pytest.raises(ShapeError, match="model declares"):
        tessera.load(add_relu(), input_shapes={"x": (3, 4)})


def test_unsupported_dtype_names_tensor() -> None:
    nodes = [helper.make_node("Identity", ["x"], ["y"], name="i")]
    m = model(nodes, [tensor("x", [2], TensorProto.STRING)], [tensor("y", [2], TensorProto.STRING)])
    with pytest.raises(ModelLoadError, match="input 'x' has element type STRING"):
        tessera.load(m)


def test_name_assigned_twice() -> None:
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="a"), helper.make_node("Relu", ["x"], ["y"], name="b")]
    m = model(nodes, [tensor("x", [1])], [tensor("y", [1])])
    with pytest.raises(ModelLoadError, match="'y' is assigned more than once"):
        tessera.load(m)


def test_undefined_input() -> None:
    nodes = [helper.make_node("Add", ["x", "ghost"], ["y"], name="a")]
    m = model(nodes, [tensor("x", [1])], [tensor("y", [1])])
    with pytest.raises(ModelLoadError, match="reads 'ghost'"):
        tessera.load(m)


def test_opset_out_of_range() -> None:
    m = add_relu()
    m.opset_import[0].version = 99
    with pytest.raises(ModelLoadError, match="opset 99 is outside"):
        tessera.load(m)


def test_non_constant_static_operand_says_how_to_pin() -> None:
    nodes = [helper.make_node("ConstantOfShape", ["s"], ["c"], name="fill"), helper.make_node("Add", ["x", "c"], ["y"])]
    m = model(nodes, [tensor("x", [2]), tensor("s", [1], TensorProto.INT64)], [tensor("y", [2])])
    with pytest.raises(ShapeError, match=r"'fill'.*input 0 \('s'\) must be known at compile time.*constant_inputs"):
        tessera.load(m)
    g = tessera.load(m, constant_inputs={"s": np.array([2])})
    assert g.op_counts() == {"Add": 1}


def test_existing_foreign_output_folder_is_not_clobbered(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    with pytest.raises(TesseraError, match="not written by Tessera"):
        tessera.compile(add_relu(), out_dir=out)
    assert (out / "precious.txt").read_text() == "keep me"


def test_initializer_with_numpy_helper_roundtrip_dtype() -> None:
    w = numpy_helper.from_array(np.arange(4, dtype=np.int64), "w")
    nodes = [helper.make_node("Identity", ["w"], ["y"], name="i")]
    m = model(nodes, [], [tensor("y", [4], TensorProto.INT64)], [w])
    g = tessera.load(m)
    assert g.outputs[0].is_constant and g.outputs[0].data.tolist() == [0, 1, 2, 3]
