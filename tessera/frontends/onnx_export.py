"""Tessera IR -> ONNX ModelProto (opset EXPORT_OPSET; Tessera-only ops in domain ai.tessera)."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

from tessera.errors import TesseraError
from tessera.frontends.onnx_types import DTYPE_TO_ONNX, encode_attribute
from tessera.ir.graph import Graph, Value

EXPORT_OPSET = 21
TESSERA_DOMAIN = "ai.tessera"


def export_onnx(graph: Graph) -> onnx.ModelProto:
    """A ModelProto that passes onnx.checker; ONNX-domain ops run in onnxruntime. int8 ops (QConv,
    QAdd, ...) are Tessera ops: `tessera.export_onnx` writes them in QDQ form first (expand-qdq)."""
    initializers = [numpy_helper.from_array(v.data, v.name) for v in graph.constants.values()]  # type: ignore[arg-type]
    nodes: list[onnx.NodeProto] = []
    domains = {""}
    counter = [0]

    def initializer(base: str, data: np.ndarray) -> str:
        name = graph.unique_name(f"{base}_const{counter[0]}")
        counter[0] += 1
        initializers.append(numpy_helper.from_array(np.asarray(data, order="C"), name))
        return name

    for node in graph.nodes:
        spec = node.op.to_onnx(node.attrs, [v.type for v in node.inputs])
        names: list[str] = []
        for slot in spec.inputs:
            if slot is None:
                names.append("")
            elif isinstance(slot, np.ndarray):
                names.append(initializer(node.name, slot))
            else:
                names.append(node.inputs[slot].name)
        domains.add(spec.domain)
        proto = helper.make_node(
            spec.op_type, names, [o.name for o in node.outputs], name=node.name, domain=spec.domain
        )
        proto.attribute.extend(encode_attribute(k, v) for k, v in sorted(spec.attrs.items()) if v is not None)
        nodes.append(proto)

    outputs = [_info(v) for v in graph.outputs]
    g = helper.make_graph(nodes, graph.name, [_info(v) for v in graph.inputs], outputs, initializers)
    opsets = [helper.make_opsetid("", EXPORT_OPSET)]
    opsets += [helper.make_opsetid(d, 1) for d in sorted(domains - {""})]
    model = helper.make_model(g, opset_imports=opsets, producer_name="tessera")
    model.ir_version = 10
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as err:
        raise TesseraError(f"graph {graph.name!r}: exported ONNX does not pass onnx.checker: {err}") from None
    return model


def _info(value: Value) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(value.name, DTYPE_TO_ONNX[value.dtype], list(value.shape))
