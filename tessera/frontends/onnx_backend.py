"""An `onnx.backend.base.Backend` over Tessera's ONNX import and reference executor, for ONNX's
node conformance suite (`onnx.backend.test.BackendTest`).

Tessera compiles static-shape graphs, so inputs that feed compile-time operands (a Reshape's shape,
a Slice's starts, Clip's bounds, ...) are bound as constants when the inputs arrive, and every input
shape is pinned to the shape it arrives with.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import onnx
from onnx.backend.base import Backend, BackendRep

from tessera.frontends.onnx_import import FRONTEND_OPS, load_onnx
from tessera.ir.interpreter import execute
from tessera.ir.ops import lookup


def static_operand_inputs(model: onnx.ModelProto) -> set[str]:
    """Graph inputs from which some compile-time operand of some node is computed."""
    producer = {o: n for n in model.graph.node for o in n.output}
    wanted: list[str] = []
    for node in model.graph.node:
        op = lookup(node.op_type, node.domain)
        if op is None:
            continue
        wanted += [node.input[i] for i in op.static_inputs if i < len(node.input) and node.input[i]]
    seen: set[str] = set()
    while wanted:
        name = wanted.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in producer:
            wanted += [i for i in producer[name].input if i]
    return seen & {i.name for i in model.graph.input}


class TesseraRep(BackendRep):
    def __init__(self, model: onnx.ModelProto):
        self.model = model
        init = {i.name for i in model.graph.initializer}
        self.input_names = [i.name for i in model.graph.input if i.name not in init]
        self.static = static_operand_inputs(model)

    def run(self, inputs: Any, **kwargs: Any) -> tuple[np.ndarray, ...]:
        arrays = [np.asarray(x) for x in (inputs if isinstance(inputs, Sequence) else [inputs])]
        given = dict(zip(self.input_names, arrays))
        consts = {k: v for k, v in given.items() if k in self.static}
        shapes = {k: v.shape for k, v in given.items() if k not in consts}
        graph = load_onnx(self.model, input_shapes=shapes, constant_inputs=consts)
        feeds = {k: v for k, v in given.items() if k not in consts}
        outputs = execute(graph, feeds)
        return tuple(outputs[o.name] for o in self.model.graph.output)


class TesseraBackend(Backend):
    @classmethod
    def is_compatible(cls, model: onnx.ModelProto, device: str = "CPU", **kwargs: Any) -> bool:
        return all(lookup(n.op_type, n.domain) is not None or n.op_type in FRONTEND_OPS for n in model.graph.node)

    @classmethod
    def prepare(cls, model: onnx.ModelProto, device: str = "CPU", **kwargs: Any) -> TesseraRep:
        super().prepare(model, device, **kwargs)
        return TesseraRep(model)

    @classmethod
    def supports_device(cls, device: str) -> bool:
        return device == "CPU"
