"""Cutting an ONNX model between named tensors (tessera.load(..., inputs=, outputs=)): the cut model
computes, in onnxruntime and in Tessera, what the whole model computes between those tensors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from conftest import ORT, chain_graph, require
from onnx import TensorProto, helper, numpy_helper

import tessera
from tessera.cli import main
from tessera.errors import ModelLoadError
from tessera.frontends.onnx_cut import cut_onnx

ort = require("onnxruntime", ORT)
SHAPE = [1, 4, 8, 8]


def two_branch_model() -> onnx.ModelProto:
    """x -> Conv -> c1 -> Relu -> r1 -> Conv -> c2; r1 -> Sigmoid -> s; c2 + s -> a -> GAP -> y"""
    rng = np.random.default_rng(0)
    weights = [
        numpy_helper.from_array(rng.standard_normal((4, 4, 3, 3)).astype(np.float32), "w1"),
        numpy_helper.from_array(rng.standard_normal((4, 4, 1, 1)).astype(np.float32), "w2"),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "w2"], ["c2"], name="conv2"),
        helper.make_node("Sigmoid", ["r1"], ["s"], name="sigmoid"),
        helper.make_node("Add", ["c2", "s"], ["a"], name="add"),
        helper.make_node("GlobalAveragePool", ["a"], ["y"], name="gap"),
    ]
    graph = helper.make_graph(
        nodes,
        "two_branch",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, SHAPE)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 1, 1])],
        weights,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    return model


def intermediates(model: onnx.ModelProto, feeds: dict[str, np.ndarray], names: list[str]) -> list[np.ndarray]:
    """The tensors `names` of the whole model, by onnxruntime (exposed as extra graph outputs)."""
    exposed = onnx.ModelProto()
    exposed.CopyFrom(model)
    exposed.graph.output.extend(helper.make_empty_tensor_value_info(n) for n in names)
    session = ort.InferenceSession(exposed.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(names, feeds)


def test_cut_model_computes_the_part_between_the_tensors() -> None:
    model = two_branch_model()
    x = np.random.default_rng(1).standard_normal(SHAPE).astype(np.float32)
    r1, a = intermediates(model, {"x": x}, ["r1", "a"])
    cut = cut_onnx(model, inputs=["r1"], outputs=["a"])
    assert [n.op_type for n in cut.graph.node] == ["Conv", "Sigmoid", "Add"]
    assert [i.name for i in cut.graph.input] == ["r1"] and [o.name for o in cut.graph.output] == ["a"]
    onnx.checker.check_model(cut)
    session = ort.InferenceSession(cut.SerializeToString(), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(["a"], {"r1": r1})[0], a, rtol=1e-5, atol=1e-5)
    graph = tessera.load(model, inputs=["r1"], outputs=["a"])
    assert [v.name for v in graph.inputs] == ["r1"] and graph.inputs[0].shape == tuple(SHAPE)
    np.testing.assert_allclose(tessera.run(graph, {"r1": r1})["a"], a, rtol=1e-5, atol=1e-5)


def test_outputs_alone_keep_the_model_inputs() -> None:
    model = two_branch_model()
    x = np.random.default_rng(2).standard_normal(SHAPE).astype(np.float32)
    (s,) = intermediates(model, {"x": x}, ["s"])
    graph = tessera.load(model.SerializeToString(), outputs=["s"])
    assert [n.name for n in graph.nodes] == ["conv1", "relu1", "sigmoid"]
    np.testing.assert_allclose(tessera.run(graph, {"x": x})["s"], s, rtol=1e-5, atol=1e-6)


def test_unknown_tensor_names_are_named() -> None:
    with pytest.raises(ModelLoadError, match=r"no tensor named 'nope', 'gone' to cut at.*tessera inspect"):
        tessera.load(two_branch_model(), inputs=["nope"], outputs=["gone"])


def test_output_that_needs_more_than_the_inputs_names_what_is_missing() -> None:
    with pytest.raises(ModelLoadError, match=r"also need tensor\(s\) 'x'.*add them to inputs"):
        tessera.load(two_branch_model(), inputs=["c2"], outputs=["a"])


def test_input_that_leads_to_no_output_is_named() -> None:
    with pytest.raises(ModelLoadError, match=r"input\(s\) 'c1' lead to none of the outputs \['a'\]"):
        tessera.load(two_branch_model(), inputs=["r1", "c1"], outputs=["a"])


def test_a_weight_is_no_place_to_cut() -> None:
    with pytest.raises(ModelLoadError, match=r"tensor 'w2' is a constant"):
        tessera.load(two_branch_model(), inputs=["w2"], outputs=["a"])


def test_cutting_a_graph_asks_for_an_onnx_model() -> None:
    with pytest.raises(ModelLoadError, match=r"Graph: inputs= / outputs= cut an ONNX model"):
        tessera.load(chain_graph(), outputs=["relu"])


def test_the_cli_cuts_with_cut_inputs_and_cut_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:

    path = tmp_path / "two_branch.onnx"
    path.write_bytes(two_branch_model().SerializeToString())
    assert main(["inspect", str(path), "--cut-inputs", "r1", "--cut-outputs", "a", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert [i["name"] for i in summary["inputs"]] == ["r1"] and [o["name"] for o in summary["outputs"]] == ["a"]
    assert main(["compile", str(path), "--cut-outputs", "r1", "-o", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "model.onnx").exists()
    assert main(["inspect", str(path), "--cut-outputs", "nope"]) != 0
    assert "nope" in capsys.readouterr().err
