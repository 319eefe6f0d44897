"""The register-blocked conv2d schedule is the one applied to conv kernels, and it keeps numerics.

A conv the schedule cannot handle falls back to the generic rule silently (slower, never wrong), so
these tests check that the conv rule itself ran: the packed weights and the register tile are there.
"""

import numpy as np
import pytest
from conftest import TVM, require

from tessera.backends.cpu import conv_schedule, schedule


def _conv_module(c: int, o: int, hw: int, k: int, stride: int, pad: int, residual: bool):
    from tvm import IRModule, te, topi

    x = te.placeholder((1, c, hw, hw), name="x")
    w = te.placeholder((o, c, k, k), name="w")
    b = te.placeholder((1, o, 1, 1), name="b")
    y = topi.add(topi.nn.conv2d_nchw(x, w, stride, pad, 1), b)
    out_hw = (hw + 2 * pad - k) // stride + 1
    r = te.placeholder((1, o, out_hw, out_hw), name="r")
    args = [x, w, b, r] if residual else [x, w, b]
    y = topi.nn.relu(topi.add(y, r) if residual else y)
    return IRModule({"main": te.create_prim_func([*args, y])}), out_hw


@pytest.mark.parametrize(
    "c,o,hw,k,stride,pad,residual",
    [
        (8, 16, 14, 3, 1, 1, True),  # 8 x 7 tiles
        (16, 8, 9, 1, 1, 0, False),
        (3, 8, 11, 3, 2, 1, False),
        (8, 32, 12, 1, 1, 0, True),  # 16 x 4 tiles
        (8, 32, 14, 1, 1, 0, True),  # 16 x 4 tiles over the flattened 14 x 14 plane
        (8, 32, 14, 1, 1, 0, False),  # the same, written out by a copy (no epilogue)
        (8, 24, 12, 1, 1, 0, True),  # 24 x 4 tiles, spatial tiles outside the channel blocks
        (16, 48, 28, 1, 1, 0, False),  # 24 x 4 tiles, channel blocks outside (plane above 14 x 14)
        (16, 32, 7, 3, 1, 1, True),  # 8 x 7 tiles, spatial tiles outside
    ],
)
def test_conv_schedule_applies_and_matches_the_plain_loops(c, o, hw, k, stride, pad, residual) -> None:
    tvm = require("tvm", TVM)
    from tessera.backends.cpu.build import host_target

    mod, out_hw = _conv_module(c, o, hw, k, stride, pad, residual)
    scheduled, count, total = schedule.apply(tvm.IRModule(dict(mod.functions_items())))
    assert (count, total) == (1, 1)
    text = scheduled["main"].script()
    assert "w_global" in text and "local" in text  # packed weights, register tile: the conv rule ran
    rng = np.random.default_rng(0)
    shapes = [(1, c, hw, hw), (o, c, k, k), (1, o, 1, 1)] + ([(1, o, out_hw, out_hw)] if residual else [])
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    outs = []
    for m in (mod, scheduled):
        lib = tvm.compile(m, target=host_target(2))
        args = [tvm.runtime.tensor(a) for a in arrays] + [tvm.runtime.empty((1, o, out_hw, out_hw), "float32")]
        lib["main"](*args)
        outs.append(args[-1].numpy())
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-4, atol=1e-4)


def test_channels_not_a_multiple_of_8_keep_the_generic_rule() -> None:
    tvm = require("tvm", TVM)
    from tvm import s_tir

    mod, _ = _conv_module(4, 6, 8, 3, 1, 1, False)
    sch = s_tir.Schedule(mod)
    blocks = sch.get_child_blocks(sch.get_sblock("root"))
    assert not any(conv_schedule.is_conv(sch, b) for b in blocks)
    _, count, total = schedule.apply(tvm.IRModule(dict(mod.functions_items())))
    assert (count, total) == (1, 1)


def test_tile_shapes() -> None:
    assert conv_schedule.tile_shape(32, 28) == (16, 4)  # wide tile: 2 FMAs per broadcast
    assert conv_schedule.tile_shape(64, 56) == (16, 4)
    assert conv_schedule.tile_shape(96, 56) == (24, 4)  # a multiple of 24 first: 12 accumulators
    assert conv_schedule.tile_shape(16, 112) == (8, 8)  # one 16-channel tile only: narrow is faster
    assert conv_schedule.tile_shape(24, 28) == (24, 4)  # 24 channels: 3 weight vectors, 12 accumulators
    assert conv_schedule.tile_shape(24, 14) == (8, 7)
    assert conv_schedule.tile_shape(960, 7) == (8, 7)  # 16 x 7 spills (measured: no faster)
    assert conv_schedule.tile_shape(384, 14) == (8, 7)


def test_tile_width() -> None:
    assert conv_schedule.tile_width(384, 14, 14, pointwise=True) == 196  # 16 x 4 over the plane, not 8 x 7
    assert conv_schedule.tile_width(384, 14, 14, pointwise=False) == 14
    assert conv_schedule.tile_width(160, 7, 7, pointwise=True) == 7  # 49: no 4-column tile either way
    assert conv_schedule.tile_width(64, 28, 28, pointwise=True) == 28  # already 16 x 4


def test_spatial_tiles_run_outside_channel_blocks_on_small_planes_only() -> None:
    tvm = require("tvm", TVM)
    from tvm import s_tir

    for hw, c, outer in ((14, 64, True), (28, 64, False), (7, 512, False)):  # 7x7 x 512: 9.4 MB of weights
        mod, _ = _conv_module(c, c, hw, 3, 1, 1, False)
        sch = s_tir.Schedule(tvm.IRModule(dict(mod.functions_items())))
        block = next(b for b in sch.get_child_blocks(sch.get_sblock("root")) if conv_schedule.is_conv(sch, b))
        assert conv_schedule._spatial_outer(sch, block, hw * hw) is outer
