"""The depthwise conv2d schedule is the one applied to depthwise kernels, and it keeps numerics.

A kernel the rule cannot handle would silently get the generic rule, so these tests check that the
depthwise rule itself ran (its register tile is a local buffer) and compare against TVM's plain loops.
"""

import numpy as np
import pytest
from _cpu_helpers import require_tvm

from tessera.backends.cpu import depthwise_schedule, schedule


def _depthwise_module(c: int, hw: int, k: int, stride: int, pad: int, epilogue: bool, topi_depthwise: bool):
    from tvm import IRModule, te, topi

    x = te.placeholder((1, c, hw, hw), name="x")
    if topi_depthwise:
        w = te.placeholder((c, 1, k, k), name="w")
        y = topi.nn.depthwise_conv2d_nchw(x, w, stride, pad, 1)
    else:
        w = te.placeholder((c, 1, k, k), name="w")
        y = topi.nn.group_conv2d_nchw(x, w, stride, pad, 1, c)
    args = [x, w]
    if epilogue:  # bias + ReLU6, as in MobileNetV2
        b = te.placeholder((1, c, 1, 1), name="b")
        y = topi.clip(topi.add(y, b), 0.0, 6.0)
        args.append(b)
    out_hw = (hw + 2 * pad - k) // stride + 1
    return IRModule({"main": te.create_prim_func([*args, y])}), out_hw, [a.shape for a in args]


@pytest.mark.parametrize(
    "c,hw,k,stride,pad,epilogue,topi_depthwise",
    [
        (4, 14, 3, 1, 1, True, False),
        (3, 16, 3, 2, 1, True, False),
        (2, 9, 5, 1, 2, False, False),
        (2, 13, 7, 2, 3, True, True),
    ],
)
def test_depthwise_schedule_applies_and_matches_the_plain_loops(c, hw, k, stride, pad, epilogue, topi_depthwise):
    tvm = require_tvm()
    from tessera.backends.cpu.build import host_target

    mod, out_hw, shapes = _depthwise_module(c, hw, k, stride, pad, epilogue, topi_depthwise)
    scheduled, count, total = schedule.apply(tvm.IRModule(dict(mod.functions_items())))
    assert (count, total) == (1, 1)
    text = scheduled["main"].script()
    assert '"local"' in text  # the register tile: the depthwise rule ran, not the generic one
    if stride == 2 and (hw + 2 * pad) % 2 == 0:  # the padded input stored as even / odd columns
        assert "% 2, v_rx // 2" in text or "% T.int64(2), v_rx // T.int64(2)" in text
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal([int(d) for d in s]).astype(np.float32) for s in shapes]
    outs = []
    for m in (mod, scheduled):
        lib = tvm.compile(m, target=host_target(2))
        args = [tvm.runtime.tensor(a) for a in arrays] + [tvm.runtime.empty((1, c, out_hw, out_hw), "float32")]
        lib["main"](*args)
        outs.append(args[-1].numpy())
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-4, atol=1e-4)


def test_tile_shapes_for_mobilenet_widths() -> None:
    assert depthwise_schedule.tile_shape(112, 112) == (4, 16)
    assert depthwise_schedule.tile_shape(56, 56) == (7, 8)
    assert depthwise_schedule.tile_shape(28, 28) == (4, 14)
    assert depthwise_schedule.tile_shape(14, 14) == (2, 14)
    assert depthwise_schedule.tile_shape(7, 7) == (7, 7)
    assert depthwise_schedule.tile_shape(5, 5) == (1, 1)
