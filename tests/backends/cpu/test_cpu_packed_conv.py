"""Constant conv weights are packed at compile time (packed_conv.py): the lowered module's conv reads
a [f/tile, c, kh, kw, tile] constant and the scheduled kernel has no per-call weight copy; a weight
computed at run time keeps the per-call pack. Both equal the reference executor."""

import numpy as np
import pytest
from _cpu_helpers import assert_cpu_matches_reference
from conftest import TVM, require

from tessera.backends.cpu import conv_schedule, packed_conv, schedule
from tessera.ir import DType, Graph, TensorType
from tessera.ir.ops import lookup

F32 = DType.FLOAT32


def _conv_graph(o: int, hw: int, k: int, stride: int, constant_weight: bool, dilation: int = 1) -> Graph:
    rng = np.random.default_rng(3)
    g = Graph("conv")
    x = g.add_input("x", TensorType(F32, (1, 8, hw, hw)))
    weights = rng.standard_normal((o, 8, k, k)).astype(np.float32)
    if constant_weight:
        w = g.add_constant("w", weights)
    else:  # computed at run time: w = w_in * 1
        w_in = g.add_input("w_in", TensorType(F32, weights.shape))
        w = g.add_node(lookup("Mul"), [w_in, g.add_constant("one", np.ones((), np.float32))]).output
    b = g.add_constant("b", rng.standard_normal(o).astype(np.float32))
    pads = (dilation * (k // 2),) * 4
    attrs = {"group": 1, "strides": (stride, stride), "pads": pads, "dilations": (dilation, dilation)}
    conv = g.add_node(lookup("Conv"), [x, w, b], attrs)
    g.outputs.append(g.add_node(lookup("Relu"), [conv.output]).output)
    return g


def _conv_kernels(graph: Graph) -> list[str]:
    """The scripts of the fixed-scheduled conv kernels of `graph`."""
    tvm = require("tvm", TVM)
    from tessera.backends.cpu.build import host_target
    from tessera.backends.cpu.lower import lower
    from tessera.backends.cpu.tuning import prepare

    mod, _, _ = schedule.apply(prepare(lower(graph), host_target(1)))
    scripts = [f.script() for _, f in mod.functions_items() if isinstance(f, tvm.tirx.PrimFunc)]
    return [s for s in scripts if "conv2d_nchw" in s]


@pytest.mark.parametrize("o,hw,k,stride", [(32, 12, 1, 1), (16, 14, 3, 2), (32, 14, 1, 1)])
def test_constant_weights_are_packed_once(o: int, hw: int, k: int, stride: int) -> None:
    graph = _conv_graph(o, hw, k, stride, constant_weight=True)
    (kernel,) = _conv_kernels(graph)
    out_w = (hw + 2 * (k // 2) - k) // stride + 1
    width = conv_schedule.tile_width(o, out_w, out_w, pointwise=k == 1 and stride == 1)
    tile = packed_conv.packable(np.zeros((o, 8, k, k), np.float32), 1, width)
    if width != out_w:  # 14-wide pointwise: 16 x 4 tiles over the flattened plane
        assert tile == 16 and f'T.int64({o}), T.int64({out_w * out_w})), scope="local"' in kernel
    packed = ", ".join(f"T.int64({d})" for d in (o // tile, 8, k, k, tile))
    assert f"T.Buffer(({packed}), " in kernel  # the packed constant is the parameter
    assert packed_conv.BLOCK_NAME in kernel and "local" in kernel  # the conv rule's register tile
    assert "_global" not in kernel  # no per-call weight copy
    assert_cpu_matches_reference(graph)


def test_run_time_weights_keep_the_per_call_pack() -> None:
    graph = _conv_graph(16, 10, 3, 1, constant_weight=False)
    (kernel,) = _conv_kernels(graph)
    assert packed_conv.BLOCK_NAME not in kernel and "_global" in kernel  # Relax's conv, weights copied per call
    assert_cpu_matches_reference(graph)


def test_pack_layout() -> None:
    w = np.arange(16 * 3 * 2 * 2, dtype=np.float32).reshape(16, 3, 2, 2)
    packed = packed_conv.pack(w, 8)
    assert packed.shape == (2, 3, 2, 2, 8)
    assert packed[1, 2, 0, 1, 5] == w[13, 2, 0, 1]
    assert packed_conv.packable(w, 1, 7) == 8
    assert packed_conv.packable(w, 2, 7) is None  # grouped: not the regular conv schedule
    assert packed_conv.packable(w[:12], 1, 7) is None  # channels not a multiple of 8


def test_packed_conv_with_dilation() -> None:
    graph = _conv_graph(16, 11, 3, 1, constant_weight=True, dilation=2)
    (kernel,) = _conv_kernels(graph)
    assert packed_conv.BLOCK_NAME in kernel and "_global" not in kernel
    assert_cpu_matches_reference(graph)
