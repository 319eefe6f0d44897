"""Small ONNX models built in code for frontend tests."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def model(nodes, inputs, outputs, initializers=(), opset: int = 17, name: str = "m") -> onnx.ModelProto:
    graph = helper.make_graph(nodes, name, inputs, outputs, list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def tensor(name: str, shape, elem=TensorProto.FLOAT) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, elem, shape)


def add_relu(opset: int = 17) -> onnx.ModelProto:
    b = numpy_helper.from_array(np.linspace(-1, 1, 4).astype(np.float32), "b")
    nodes = [
        helper.make_node("Add", ["x", "b"], ["t"], name="add"),
        helper.make_node("Relu", ["t"], ["y"], name="relu"),
    ]
    return model(nodes, [tensor("x", [2, 4])], [tensor("y", [2, 4])], [b], opset=opset)
