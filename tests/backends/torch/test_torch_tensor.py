"""Torch kernels of the data-movement ops (shapes, Transpose, Concat, Slice, Split, Expand, Tile,
DepthToSpace, SpaceToDepth, InsertSlice, the identities) against the reference executor (with a vmap
batch), and their gradients in float64."""

from __future__ import annotations

import numpy as np
import pytest

from tessera.backends.torch import to_torch
from tessera.ir.dtypes import DType
from tessera.ir.graph import Graph
from tessera.ir.ops import elementwise, identity, layout, shape_ops, tensor, tiling
from tessera.ir.types import TensorType
from tests.backends.torch._check import check_gradients, check_matches_reference, one_node, torch

RNG = np.random.default_rng(0)


def _f32(*shape: int) -> np.ndarray:
    return np.asarray(RNG.standard_normal(shape), dtype=np.float32)


def _both(op, inputs, attrs=None, num_outputs=None):
    """Matches the reference in float32, in uint16 (no torch arithmetic) and in bool, and passes
    gradients in float64."""
    check_matches_reference(one_node(op, inputs, attrs, num_outputs=num_outputs), inputs)
    ints = [(a * 10).astype(np.uint16) for a in inputs]
    check_matches_reference(one_node(op, ints, attrs, num_outputs=num_outputs), ints)
    flags = [a > 0 for a in inputs]
    check_matches_reference(one_node(op, flags, attrs, num_outputs=num_outputs), flags)
    check_gradients(op, [a.astype(np.float64) for a in inputs], attrs)


SHAPE_CASES = [
    (shape_ops.Reshape, {"shape": (0, -1)}),
    (shape_ops.Flatten, {"axis": 2}),
    (shape_ops.Unsqueeze, {"axes": (0, -1)}),
    (shape_ops.Transpose, {}),
    (shape_ops.Transpose, {"perm": (1, 2, 0)}),
]


@pytest.mark.parametrize("op, attrs", SHAPE_CASES, ids=lambda v: getattr(v, "name", str(v)))
def test_shape_ops(op, attrs):
    _both(op, [_f32(2, 3, 4)], attrs)


def test_squeeze():
    _both(shape_ops.Squeeze, [_f32(2, 1, 3, 1)], {"axes": (-1,)})
    _both(shape_ops.Squeeze, [_f32(2, 1, 3, 1)])


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concat(axis):
    shapes = [[2, 3, 4]] * 3
    for i, shape in enumerate(shapes):
        shape = list(shape)
        shape[axis] = i + 1
        shapes[i] = shape
    _both(tensor.Concat, [_f32(*s) for s in shapes], {"axis": axis})


@pytest.mark.parametrize(
    "attrs, n", [({"axis": 1, "split": (1, 3, 0, 2)}, 4), ({"axis": -1, "num_outputs": 3}, 3), ({"split": (2,)}, 1)]
)
def test_split(attrs, n):
    _both(tensor.Split, [_f32(2, 6, 7)], attrs, num_outputs=n)


SLICES = [
    {"starts": (1,), "ends": (3,)},
    {"starts": (0, -1), "ends": (100, -100), "axes": (2, 1), "steps": (2, -1)},
    {"starts": (-1, 5), "ends": (-100, 0), "axes": (0, 2), "steps": (-2, -3)},
    {"starts": (10,), "ends": (-100,), "axes": (1,), "steps": (-1,)},
    {"starts": (3,), "ends": (1,), "axes": (2,)},  # empty
    {"starts": (-100,), "ends": (100,), "axes": (-1,), "steps": (3,)},
]


@pytest.mark.parametrize("attrs", SLICES)
def test_slice(attrs):
    _both(tensor.Slice, [_f32(3, 4, 6)], attrs)


@pytest.mark.parametrize("shape, target", [((3, 1), (2, 3, 4)), ((1, 4), (3, 1)), ((2, 1, 3), (1,))])
def test_expand(shape, target):
    _both(tensor.Expand, [_f32(*shape)], {"shape": target})


@pytest.mark.parametrize("repeats", [(1, 1), (2, 3), (0, 2)])
def test_tile(repeats):
    _both(tensor.Tile, [_f32(2, 3)], {"repeats": repeats})


@pytest.mark.parametrize("mode", ["DCR", "CRD"])
def test_depth_to_space_and_back(mode):
    _both(layout.DepthToSpace, [_f32(2, 8, 2, 3)], {"blocksize": 2, "mode": mode})
    _both(layout.SpaceToDepth, [_f32(2, 2, 4, 6)], {"blocksize": 2, "mode": mode})


def test_insert_slice():
    dest, src = _f32(3, 5, 4), _f32(2, 3, 4)
    _both(tiling.InsertSlice, [dest, src], {"starts": (1, 2), "axes": (0, -2)})
    _both(tiling.InsertSlice, [src], {"starts": (1, 1), "axes": (0, 1), "shape": (3, 5, 4)})


def test_insert_slice_into_a_constant_with_a_batched_tile():
    src = _f32(2, 2)
    graph = one_node(tiling.InsertSlice, [src], {"starts": (1, 0), "axes": (0, 1)}, consts={0: _f32(4, 3)})
    check_matches_reference(graph, [src])


def test_identity_and_dropout():
    x = _f32(2, 3)
    _both(identity.Identity, [x])
    _both(identity.Dropout, [x], {"ratio": 0.3}, num_outputs=2)
    _both(identity.Dropout, [x])


def _with_input(op, attrs):
    """op's output plus a zero-size reading of an input, so the graph has an input to batch over."""
    g = Graph(f"static_{op.name}")
    x = g.add_input("x", TensorType(DType.FLOAT32, (2, 3, 4)))
    node = g.add_node(op, [x] if op is not identity.ConstantOfShape else [], attrs)
    y = g.add_node(elementwise.Add, [x, x], {})
    g.outputs = [node.outputs[0], y.outputs[0]]
    return g


@pytest.mark.parametrize(
    "op, attrs",
    [
        (identity.Shape, {}),
        (identity.Shape, {"start": 1, "end": -1}),
        (identity.Size, {}),
        (identity.ConstantOfShape, {"shape": (2, 3), "value": 1.5}),
        (identity.ConstantOfShape, {"shape": (4,), "value": 7.0, "dtype": DType.INT32}),
        (identity.ConstantOfShape, {"shape": (0, 2), "dtype": DType.UINT16}),
    ],
)
def test_static_values(op, attrs):
    graph = _with_input(op, attrs)
    check_matches_reference(graph, [_f32(2, 3, 4)])
    assert to_torch(graph).no_gradient


def test_data_movement_keeps_the_gradient_path():
    x = torch.tensor(_f32(2, 3, 4), dtype=torch.float32, requires_grad=True)
    graph = one_node(tensor.Slice, [_f32(2, 3, 4)], {"starts": (-1,), "ends": (-100,), "axes": (1,), "steps": (-1,)})
    out = to_torch(graph)(x)[graph.outputs[0].name]
    out.sum().backward()
    assert torch.equal(x.grad, torch.ones_like(x))
