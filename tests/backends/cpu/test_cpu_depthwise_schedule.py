"""The depthwise conv2d schedules are the ones applied to depthwise kernels, and they keep numerics.

A kernel a rule cannot handle would silently get the generic rule, so these tests check which
depthwise layout ran (planes: a local register tile over columns; channel blocks: the input and
weights repacked to 8-channel vectors), that the padding block is computed inside the parallel loop
(not as a separate pass), and compare against TVM's plain loops.
"""

import numpy as np
import pytest
from conftest import TVM, require

from tessera.backends.cpu import depthwise_schedule, schedule


def _depthwise_module(c: int, hw: int, k: int, stride: int, pad: int, mult: int, epilogue: bool, topi_dw: bool):
    from tvm import IRModule, te, topi

    x = te.placeholder((1, c, hw, hw), name="x")
    if topi_dw:
        w = te.placeholder((c, mult, k, k), name="w")
        y = topi.nn.depthwise_conv2d_nchw(x, w, stride, pad, 1)
    else:
        w = te.placeholder((c * mult, 1, k, k), name="w")
        y = topi.nn.group_conv2d_nchw(x, w, stride, pad, 1, c)
    args = [x, w]
    if epilogue:  # bias + ReLU6, as in MobileNetV2
        b = te.placeholder((1, c * mult, 1, 1), name="b")
        y = topi.clip(topi.add(y, b), 0.0, 6.0)
        args.append(b)
    return IRModule({"main": te.create_prim_func([*args, y])}), [a.shape for a in args], y.shape


CASES = {  # c, hw, k, stride, pad, multiplier, epilogue, topi depthwise -> layout
    "planes 3x3 s1": ((4, 14, 3, 1, 1, 1, True, False), "planes"),
    "planes 3x3 s2, 3 channels": ((3, 16, 3, 2, 1, 1, True, False), "planes"),
    "planes 5x5 s1, odd": ((2, 9, 5, 1, 2, 1, False, False), "planes"),
    "planes 3x3 s1, multiplier 2": ((8, 14, 3, 1, 1, 2, True, False), "planes"),
    "blocks 3x3 s2": ((16, 16, 3, 2, 1, 1, True, False), "blocks"),
    "blocks 3x3 s1, 7 wide": ((8, 7, 3, 1, 1, 1, True, False), "blocks"),
    "blocks 5x5 s2, odd": ((8, 11, 5, 2, 2, 1, False, False), "blocks"),
    "blocks 7x7 s2, odd, topi": ((16, 13, 7, 2, 3, 1, True, True), "blocks"),
    "blocks 3x3 s1, no padding": ((24, 9, 3, 1, 0, 1, True, False), "blocks"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_depthwise_schedule_applies_and_matches_the_plain_loops(case: str) -> None:
    tvm = require("tvm", TVM)
    from tessera.backends.cpu.build import host_target

    (c, hw, k, stride, pad, mult, epilogue, topi_dw), layout = CASES[case]
    mod, shapes, out_shape = _depthwise_module(c, hw, k, stride, pad, mult, epilogue, topi_dw)
    scheduled, count, total = schedule.apply(tvm.IRModule(dict(mod.functions_items())))
    assert (count, total) == (1, 1)
    text = scheduled["main"].script()
    assert '"local"' in text  # the register tile: a depthwise rule ran, not the generic one
    repacked = "w_global = T.sblock_alloc_buffer" in text  # the weights as [c / 8, kh, kw, 8]
    assert repacked == (layout == "blocks")
    if pad:  # the padding block runs per channel inside the parallel loop, not as a pass of its own
        padding = f'T.sblock("{"PaddedInput" if topi_dw else "pad_temp"}")'
        assert text.index("T.parallel(") < text.index(padding)
    if layout == "planes" and stride == 2 and (hw + 2 * pad) % 2 == 0:  # the padded input as even / odd columns
        assert "% 2, v_rx // 2" in text or "% T.int64(2), v_rx // T.int64(2)" in text
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal([int(d) for d in s]).astype(np.float32) for s in shapes]
    outs = []
    for m in (mod, scheduled):
        lib = tvm.compile(m, target=host_target(2))
        args = [tvm.runtime.tensor(a) for a in arrays] + [tvm.runtime.empty([int(d) for d in out_shape], "float32")]
        lib["main"](*args)
        outs.append(args[-1].numpy())
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-4, atol=1e-4)


def test_layout_choice() -> None:
    assert depthwise_schedule.channel_blocked(96, 96, 2, 56)  # stride 2: channel blocks
    assert depthwise_schedule.channel_blocked(960, 960, 1, 7)  # narrower planes: channel blocks
    assert depthwise_schedule.channel_blocked(192, 192, 1, 28)
    assert not depthwise_schedule.channel_blocked(144, 144, 1, 56)  # wide stride-1 planes: columns
    assert depthwise_schedule.channel_blocked(16, 16, 1, 17)  # columns that no vector tile divides
    assert not depthwise_schedule.channel_blocked(12, 12, 2, 56)  # a channel tail
    assert not depthwise_schedule.channel_blocked(16, 8, 2, 56)  # a channel multiplier


def test_tile_shapes_for_mobilenet_widths() -> None:
    assert depthwise_schedule.tile_shape(112, 112) == (4, 16)
    assert depthwise_schedule.tile_shape(56, 56) == (7, 8)
    assert depthwise_schedule.tile_shape(28, 28) == (4, 14)
    assert depthwise_schedule.tile_shape(14, 14) == (2, 14)
    assert depthwise_schedule.tile_shape(5, 5) == (1, 1)
    assert depthwise_schedule.block_tile_shape(56, 56) == (1, 8)
    assert depthwise_schedule.block_tile_shape(7, 7) == (1, 7)
    assert depthwise_schedule.block_tile_shape(12, 12) == (2, 6)
