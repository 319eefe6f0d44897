"""One-node ONNX models through Tessera and onnxruntime: import, run with the reference executor, export,
and run both the original and the exported model in onnxruntime."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import onnx
import onnxruntime as ort
from _text_check import assert_text_reads_back
from onnx import helper, numpy_helper

from tessera.backends.reference import execute
from tessera.frontends.onnx_export import export_onnx
from tessera.frontends.onnx_import import load_onnx


def one_node_model(
    op_type: str,
    inputs: Mapping[str, np.ndarray],
    attrs: Mapping[str, object] | None = None,
    consts: Mapping[str, np.ndarray] | None = None,
    input_order: list[str] | None = None,
    opset: int = 21,
) -> onnx.ModelProto:
    """A model of one node. `inputs` become graph inputs, `consts` initializers; the node reads them in
    `input_order` (default: inputs, then consts; "" for an omitted optional input)."""
    consts = dict(consts or {})
    order = input_order if input_order is not None else [*inputs, *consts]
    node = helper.make_node(op_type, order, ["y"], **dict(attrs or {}))
    graph_inputs = [
        helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(a.dtype), a.shape)
        for name, a in inputs.items()
    ]
    initializers = [numpy_helper.from_array(a, name) for name, a in consts.items()]
    graph = helper.make_graph([node], op_type.lower(), graph_inputs, [onnx.ValueInfoProto(name="y")], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 10
    return model


def run_ort(model: onnx.ModelProto, feeds: Mapping[str, np.ndarray]) -> list[np.ndarray]:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    names = {i.name for i in session.get_inputs()}
    return session.run(None, {k: v for k, v in feeds.items() if k in names})


def check_roundtrip(model: onnx.ModelProto, feeds: Mapping[str, np.ndarray], rtol: float = 1e-5, atol: float = 1e-6):
    """Tessera's result matches onnxruntime on the original model, and the exported model too."""
    graph = load_onnx(model)
    assert_text_reads_back(graph)
    ours = execute(graph, feeds)
    want = run_ort(model, feeds)
    exported = run_ort(export_onnx(graph), feeds)
    for name, expected, again in zip([o.name for o in model.graph.output], want, exported):
        assert ours[name].dtype == expected.dtype, f"{name}: {ours[name].dtype} vs onnxruntime {expected.dtype}"
        np.testing.assert_allclose(ours[name], expected, rtol=rtol, atol=atol, err_msg="tessera vs onnxruntime")
        np.testing.assert_allclose(again, expected, rtol=rtol, atol=atol, err_msg="exported vs original")
    return graph
