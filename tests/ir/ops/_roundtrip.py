"""One-node ONNX models checked three ways: onnxruntime on the model, Tessera's reference executor
on the imported graph, and onnxruntime on Tessera's export of that graph."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
from _text_check import assert_text_reads_back
from onnx import helper, numpy_helper

from tessera.backends.reference import execute
from tessera.frontends.onnx_export import export_onnx
from tessera.frontends.onnx_import import load_onnx
from tessera.frontends.onnx_types import DTYPE_TO_ONNX
from tessera.ir.dtypes import DType
from tessera.ir.graph import Graph


@dataclass(frozen=True)
class Static:
    """A node input stored as an initializer (a compile-time constant)."""

    value: np.ndarray


NodeInput = np.ndarray | Static | None  # an array is a graph input; None is an omitted optional input


def one_node_model(op_type: str, inputs: Sequence[NodeInput], n_outputs: int = 1, opset: int = 21, **attrs: Any):
    names, graph_inputs, initializers = [], [], []
    feeds: dict[str, np.ndarray] = {}
    for i, item in enumerate(inputs):
        name = f"in{i}"
        if item is None:
            names.append("")
            continue
        names.append(name)
        if isinstance(item, Static):
            initializers.append(numpy_helper.from_array(np.asarray(item.value), name))
        else:
            elem = DTYPE_TO_ONNX[DType.from_numpy(item.dtype)]
            graph_inputs.append(helper.make_tensor_value_info(name, elem, list(item.shape)))
            feeds[name] = item
    outputs = [f"out{i}" for i in range(n_outputs)]
    node = helper.make_node(op_type, names, outputs, **attrs)
    graph = helper.make_graph(
        [node], op_type.lower(), graph_inputs, [helper.make_empty_tensor_value_info(o) for o in outputs], initializers
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model, feeds


def run_ort(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def run_tessera(graph: Graph, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    results = execute(graph, feeds)
    return [results[v.name] for v in graph.outputs]


def check_roundtrip(
    op_type: str, inputs: Sequence[NodeInput], n_outputs: int = 1, opset: int = 21, **attrs: Any
) -> list[np.ndarray]:
    """Import, run and export a one-node model; all three results must agree. Returns Tessera's."""
    model, feeds = one_node_model(op_type, inputs, n_outputs, opset, **attrs)
    graph = load_onnx(model)
    assert_text_reads_back(graph)
    ours = run_tessera(graph, feeds)
    assert_close(ours, run_ort(model, feeds))
    assert_close(run_ort(export_onnx(graph), feeds), ours)
    return ours


def check_graph_export(graph: Graph, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    """A graph built in Tessera: its export run by onnxruntime must match the reference executor."""
    ours = run_tessera(graph, feeds)
    assert_close(run_ort(export_onnx(graph), feeds), ours)
    return ours


def assert_close(actual: Sequence[np.ndarray], expected: Sequence[np.ndarray]) -> None:
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        assert a.dtype == e.dtype and a.shape == e.shape, (a.dtype, a.shape, e.dtype, e.shape)
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-5)
