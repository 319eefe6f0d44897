"""Seeds and structure-aware mutations for benchmarks/fuzz_onnx.py: small valid ONNX models built in
code, and edits of their ModelProto fields (dims, dtypes, attributes, node inputs, external data paths)."""

from __future__ import annotations

import random
from collections.abc import Callable

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F32 = TensorProto.FLOAT
DIMS = (0, 1, 2, 3, 7, 64, -1, 1 << 20, 1 << 31, 1 << 40, (1 << 63) - 1)
INTS = (0, 1, -1, 2, 3, -7, 1 << 20, 1 << 40, -(1 << 62))


def _model(nodes: list, inputs: list, outputs: list, inits: list, opset: int = 17) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "fuzz", inputs, outputs, inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _vi(name: str, shape: list | None, elem: int = F32) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, elem, shape)


def _arr(name: str, values: object, dtype: type = np.float32) -> TensorProto:
    return numpy_helper.from_array(np.asarray(values, dtype), name)


def seeds() -> list[onnx.ModelProto]:
    """A dozen small models covering the importer's paths: plain nodes, folding, shape subgraphs."""
    x, y = _vi("x", [1, 2, 4, 4]), _vi("y", None)
    i64 = np.int64
    return [
        _model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [x], [y], []),
        _model([helper.make_node("Add", ["x", "b"], ["y"], name="add")], [x], [y], [_arr("b", np.ones(4))]),
        _model([helper.make_node("ConstantOfShape", ["s"], ["y"], name="cos")], [], [y], [_arr("s", [2, 3], i64)]),
        _model([helper.make_node("Pad", ["x", "p"], ["y"], name="pad")], [x], [y], [_arr("p", [0, 0, 1, 1] * 2, i64)]),
        _model(
            [helper.make_node("Expand", ["b", "s"], ["y"], name="ex")],
            [],
            [y],
            [_arr("b", [1.0]), _arr("s", [2, 2], i64)],
        ),
        _model([helper.make_node("Tile", ["x", "r"], ["y"], name="tile")], [x], [y], [_arr("r", [1, 1, 2, 2], i64)]),
        _model([helper.make_node("Concat", ["x", "x"], ["y"], name="cat", axis=1)], [x], [y], []),
        _model(
            [
                helper.make_node("Shape", ["x"], ["s"], name="shape"),
                helper.make_node("Reshape", ["x", "s"], ["y"], name="reshape"),
            ],
            [x],
            [y],
            [],
        ),
        _model(
            [helper.make_node("Conv", ["x", "w"], ["y"], name="conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1])],
            [x],
            [y],
            [_arr("w", np.ones((2, 2, 3, 3)))],
        ),
        _model(
            [helper.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[2, 2], strides=[2, 2])], [x], [y], []
        ),
        _model([helper.make_node("Split", ["x"], ["a", "b"], name="split", axis=1)], [x], [_vi("a", None)], []),
        _model([helper.make_node("Transpose", ["x"], ["y"], name="tr", perm=[0, 2, 3, 1])], [x], [y], []),
        _model([helper.make_node("Constant", [], ["y"], name="k", value=_arr("v", [1.0, 2.0]))], [], [y], []),
        _model(
            [helper.make_node("Gemm", ["a", "w"], ["y"], name="gemm")],
            [_vi("a", [2, 4])],
            [y],
            [_arr("w", np.ones((4, 3)))],
        ),
    ]


Mutation = Callable[[onnx.ModelProto, random.Random], None]


def _tensors(m: onnx.ModelProto) -> list[TensorProto]:
    found = list(m.graph.initializer)
    for node in m.graph.node:
        found += [a.t for a in node.attribute if a.type == onnx.AttributeProto.TENSOR]
    return found


def _value_infos(m: onnx.ModelProto) -> list[onnx.ValueInfoProto]:
    return list(m.graph.input) + list(m.graph.output)


def mutate_dims(m: onnx.ModelProto, rng: random.Random) -> None:
    tensors, infos = _tensors(m), _value_infos(m)
    if tensors and rng.random() < 0.5:
        t = rng.choice(tensors)
        if t.dims:
            t.dims[rng.randrange(len(t.dims))] = rng.choice(DIMS)
        else:
            t.dims.append(rng.choice(DIMS))
        return
    if infos:
        dims = rng.choice(infos).type.tensor_type.shape.dim
        if dims:
            dims[rng.randrange(len(dims))].dim_value = rng.choice(DIMS)


def mutate_dtype(m: onnx.ModelProto, rng: random.Random) -> None:
    code = rng.choice([*list(TensorProto.DataType.values()), 99, -3])
    tensors = _tensors(m)
    if tensors and rng.random() < 0.5:
        rng.choice(tensors).data_type = code
    elif _value_infos(m):
        rng.choice(_value_infos(m)).type.tensor_type.elem_type = code


def mutate_attribute(m: onnx.ModelProto, rng: random.Random) -> None:
    nodes = list(m.graph.node)
    if not nodes:
        return
    node = rng.choice(nodes)
    attrs = list(node.attribute)
    if not attrs or rng.random() < 0.3:
        name = rng.choice(["axis", "perm", "pads", "kernel_shape", "strides", "mode", "value", "to", "group"])
        node.attribute.append(helper.make_attribute(name, rng.choice([rng.choice(INTS), [rng.choice(INTS)] * 3])))
        return
    attr = rng.choice(attrs)
    if attr.type == onnx.AttributeProto.INT:
        attr.i = rng.choice(INTS)
    elif attr.type == onnx.AttributeProto.INTS and attr.ints:
        attr.ints[rng.randrange(len(attr.ints))] = rng.choice(INTS)
    else:
        attr.type = rng.choice(list(onnx.AttributeProto.AttributeType.values()))


def mutate_inputs(m: onnx.ModelProto, rng: random.Random) -> None:
    nodes = list(m.graph.node)
    if not nodes:
        return
    node = rng.choice(nodes)
    names = [n for nd in m.graph.node for n in list(nd.input) + list(nd.output)] + ["", "ghost"]
    choice = rng.random()
    if node.input and choice < 0.5:
        node.input[rng.randrange(len(node.input))] = rng.choice(names)
    elif choice < 0.75:
        node.input.append(rng.choice(names))
    elif node.input:
        del node.input[-1]
    else:
        node.output.append(rng.choice(names))


def mutate_external(m: onnx.ModelProto, rng: random.Random) -> None:
    tensors = list(m.graph.initializer)
    if not tensors:
        return
    t = rng.choice(tensors)
    t.ClearField("raw_data")
    t.ClearField("float_data")
    t.ClearField("int64_data")
    t.data_location = TensorProto.EXTERNAL
    del t.external_data[:]
    location = rng.choice(["w.bin", "../w.bin", "/etc/passwd", "sub/../w.bin", "missing.bin", ""])
    t.external_data.add(key="location", value=location)
    if rng.random() < 0.5:
        t.external_data.add(key="offset", value=rng.choice(["0", "4", "-1", "99999", "x"]))
    if rng.random() < 0.5:
        t.external_data.add(key="length", value=rng.choice(["0", "8", "16", "-5", str(1 << 40)]))


def mutate_opset(m: onnx.ModelProto, rng: random.Random) -> None:
    if not m.opset_import:
        return
    m.opset_import[0].version = rng.choice([0, 1, 7, 9, 11, 12, 13, 17, 21, 99, -1])


MUTATIONS: tuple[Mutation, ...] = (
    mutate_dims,
    mutate_dtype,
    mutate_attribute,
    mutate_inputs,
    mutate_external,
    mutate_opset,
)


def mutate_model(m: onnx.ModelProto, rng: random.Random, rounds: int = 1) -> onnx.ModelProto:
    copy = onnx.ModelProto()
    copy.CopyFrom(m)
    for _ in range(rounds):
        rng.choice(MUTATIONS)(copy, rng)
    return copy


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    """A byte-level edit: flip, drop or duplicate a few bytes, or truncate."""
    buf = bytearray(data)
    if not buf:
        return bytes(rng.randrange(256) for _ in range(8))
    kind = rng.randrange(4)
    at = rng.randrange(len(buf))
    if kind == 0:
        buf[at] = rng.randrange(256)
    elif kind == 1:
        del buf[at : at + rng.randrange(1, 8)]
    elif kind == 2:
        buf[at:at] = buf[at : at + rng.randrange(1, 16)]
    else:
        del buf[at:]
    return bytes(buf)
