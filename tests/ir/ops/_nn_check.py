"""One-node ONNX models and the three-way check used by the neural-network op tests: Tessera's
reference executor, onnxruntime on the original model, and onnxruntime on Tessera's export."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
from _text_check import assert_text_reads_back
from onnx import helper, numpy_helper

from tessera.backends.reference import execute
from tessera.frontends.onnx_export import export_onnx
from tessera.frontends.onnx_import import load_onnx


def node_model(
    op_type: str,
    inputs: Mapping[str, np.ndarray],
    weights: Mapping[str, np.ndarray] | None = None,
    outputs: Sequence[str] = ("y",),
    opset: int = 21,
    input_order: Sequence[str] | None = None,
    **attrs: Any,
) -> onnx.ModelProto:
    """A model of one node; `inputs` become graph inputs, `weights` initializers. The node reads them
    in `input_order` ("" for an omitted optional input), by default inputs then weights. ONNX shape
    inference declares the output types, which the importer then checks against Tessera's."""
    weights = dict(weights or {})
    order = list(input_order) if input_order is not None else [*inputs, *weights]
    node = helper.make_node(op_type, order, list(outputs), **attrs)
    graph_inputs = [
        helper.make_tensor_value_info(k, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape) for k, v in inputs.items()
    ]
    graph_outputs = [helper.make_empty_tensor_value_info(o) for o in outputs]
    inits = [numpy_helper.from_array(v, k) for k, v in weights.items()]
    graph = helper.make_graph([node], "one_node", graph_inputs, graph_outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 10
    return onnx.shape_inference.infer_shapes(model, strict_mode=True)  # declares the output types


def run_ort(model: onnx.ModelProto, feeds: Mapping[str, np.ndarray]) -> list[np.ndarray]:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return session.run(None, dict(feeds))


def check_against_ort(
    model: onnx.ModelProto, feeds: Mapping[str, np.ndarray], rtol: float = 1e-4, atol: float = 1e-5
) -> list[np.ndarray]:
    """Run the model in Tessera and in onnxruntime, before and after Tessera's export; all must agree.
    Returns Tessera's outputs."""
    graph = load_onnx(model)
    assert_text_reads_back(graph)
    ours = execute(graph, feeds)
    ours_list = [ours[v.name] for v in graph.outputs]
    expected = run_ort(model, feeds)
    exported = run_ort(export_onnx(graph), feeds)
    for mine, want, again in zip(ours_list, expected, exported):
        assert mine.dtype == want.dtype and mine.shape == want.shape, (mine.dtype, mine.shape, want.dtype, want.shape)
        np.testing.assert_allclose(mine, want, rtol=rtol, atol=atol)
        np.testing.assert_allclose(again, want, rtol=rtol, atol=atol)
    return ours_list
