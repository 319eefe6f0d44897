"""Conv and ConvTranspose: shape inference errors, MACs, and agreement with onnxruntime."""

import numpy as np
import pytest
from _nn_check import check_against_ort, node_model

from tessera.errors import ShapeError
from tessera.ir.dtypes import DType
from tessera.ir.ops.conv import Conv, ConvTranspose
from tessera.ir.types import TensorType

F32 = DType.FLOAT32


def _t(*shape: int) -> TensorType:
    return TensorType(F32, shape)


def _infer(op, shapes, **attrs):  # type: ignore[no-untyped-def]
    return op.infer([_t(*s) for s in shapes], op.make_attrs(attrs))


def test_conv_infers_output_shape() -> None:
    (y,) = _infer(Conv, [(1, 4, 9, 9), (6, 2, 3, 3)], group=2, strides=(2, 2), pads=(1, 1, 1, 1))
    assert y == _t(1, 6, 5, 5)
    (y,) = _infer(Conv, [(1, 3, 10), (4, 3, 3)], auto_pad="SAME_UPPER", strides=(3,))
    assert y == _t(1, 4, 4)
    (y,) = _infer(Conv, [(1, 3, 10, 10), (4, 3, 3, 3)], auto_pad="VALID", dilations=(2, 2))
    assert y == _t(1, 4, 6, 6)


@pytest.mark.parametrize(
    ("shapes", "attrs", "message"),
    [
        ([(1, 4, 8, 8), (6, 3, 3, 3)], {}, "channels"),
        ([(1, 4, 8, 8), (6, 2, 3, 3)], {"group": 3}, "group 3 must divide"),
        ([(1, 6, 8, 8), (4, 2, 3, 3)], {"group": 3}, "group 3 must divide"),
        ([(1, 4, 8, 8), (6, 4, 3, 3), (5,)], {}, "bias"),
        ([(1, 4, 8, 8), (6, 4, 3, 3)], {"kernel_shape": (5, 5)}, "kernel_shape"),
        ([(1, 4, 8, 8), (6, 4, 3, 3)], {"auto_pad": "SAME"}, "auto_pad"),
        ([(1, 4, 8, 8), (6, 4, 3, 3)], {"pads": (1, 1)}, "pads"),
        ([(1, 4, 8, 8), (6, 4, 3, 3)], {"strides": (1, 1, 1)}, "strides"),
        ([(1, 4, 2, 2), (6, 4, 3, 3)], {}, "does not fit"),
        ([(1, 4, 8), (6, 4, 3, 3)], {}, "rank"),
    ],
)
def test_conv_rejects_bad_operands(shapes, attrs, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ShapeError, match=message):
        _infer(Conv, shapes, **attrs)


def test_conv_transpose_rejects_bad_operands() -> None:
    with pytest.raises(ShapeError, match="channels"):
        _infer(ConvTranspose, [(1, 4, 5, 5), (3, 2, 3, 3)])
    with pytest.raises(ShapeError, match="group 3 must divide"):
        _infer(ConvTranspose, [(1, 4, 5, 5), (4, 2, 3, 3)], group=3)
    with pytest.raises(ShapeError, match="bias"):
        _infer(ConvTranspose, [(1, 4, 5, 5), (4, 2, 3, 3), (3,)], group=2)


def test_macs_count_one_multiply_add_per_weight_use() -> None:
    inputs = [_t(1, 4, 8, 8), _t(6, 2, 3, 3)]
    attrs = Conv.make_attrs({"group": 2, "pads": (1, 1, 1, 1)})
    outputs = Conv.infer(inputs, attrs)
    # 1*6*8*8 outputs, each a dot product over 2 channels x 3x3 taps
    assert Conv.macs(inputs, outputs, attrs) == 384 * 18
    inputs = [_t(1, 4, 5, 5), _t(4, 3, 3, 3)]
    attrs = ConvTranspose.make_attrs({"group": 2, "strides": (2, 2)})
    outputs = ConvTranspose.infer(inputs, attrs)
    assert outputs[0] == _t(1, 6, 11, 11)
    # every input element is scattered into 3 output channels x 3x3 taps
    assert ConvTranspose.macs(inputs, outputs, attrs) == 100 * 27


def _conv_case(rng, x_shape, w_shape, bias, op="Conv", **attrs):  # type: ignore[no-untyped-def]
    x = rng.standard_normal(x_shape).astype(np.float32)
    weights = {"w": rng.standard_normal(w_shape).astype(np.float32)}
    if bias:
        channels = w_shape[0] if op == "Conv" else w_shape[1] * attrs.get("group", 1)
        weights["b"] = rng.standard_normal(channels).astype(np.float32)
    return node_model(op, {"x": x}, weights, **attrs), {"x": x}


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "attrs"),
    [
        ((2, 6, 11, 9), (4, 3, 3, 2), {"group": 2, "dilations": (2, 1), "pads": (1, 0, 2, 1), "strides": (2, 1)}),
        ((1, 8, 10, 10), (8, 1, 3, 3), {"group": 8, "pads": (1, 1, 1, 1)}),  # depthwise
        ((1, 3, 7, 8), (5, 3, 3, 3), {"auto_pad": "SAME_LOWER", "strides": (2, 2)}),
        ((1, 3, 7, 8), (5, 3, 2, 4), {"auto_pad": "SAME_UPPER", "kernel_shape": (2, 4)}),
        ((1, 2, 13), (3, 2, 4), {"strides": (3,), "pads": (2, 1)}),
        ((1, 2, 5, 6, 7), (4, 2, 2, 3, 2), {"pads": (1, 0, 1, 0, 1, 1), "strides": (1, 2, 2)}),
    ],
)
def test_conv_matches_onnxruntime(x_shape, w_shape, attrs) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(1)
    check_against_ort(*_conv_case(rng, x_shape, w_shape, bias=True, **attrs))


def test_conv_random_configurations_match_onnxruntime() -> None:
    rng = np.random.default_rng(2024)
    for _ in range(12):
        spatial = int(rng.integers(1, 4))
        group = int(rng.choice([1, 2, 3]))
        c_in, c_out = group * int(rng.integers(1, 4)), group * int(rng.integers(1, 4))
        kernel = tuple(int(k) for k in rng.integers(1, 4, spatial))
        attrs = {
            "group": group,
            "strides": tuple(int(s) for s in rng.integers(1, 3, spatial)),
            "dilations": tuple(int(d) for d in rng.integers(1, 3, spatial)),
        }
        if rng.random() < 0.3:
            attrs["auto_pad"] = str(rng.choice(["SAME_UPPER", "SAME_LOWER", "VALID"]))
            attrs["dilations"] = (1,) * spatial  # onnxruntime refuses dilations with SAME padding
        else:
            attrs["pads"] = tuple(int(p) for p in rng.integers(0, 3, 2 * spatial))
        sizes = tuple(int(s) for s in rng.integers(6, 10, spatial))
        model, feeds = _conv_case(
            rng, (2, c_in, *sizes), (c_out, c_in // group, *kernel), bias=bool(rng.random() < 0.5), **attrs
        )
        check_against_ort(model, feeds)


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "attrs"),
    [
        ((1, 3, 4, 5), (3, 2, 3, 3), {"strides": (2, 3), "output_padding": (1, 2), "pads": (1, 0, 0, 1)}),
        ((2, 4, 3, 3), (4, 2, 3, 2), {"group": 2, "dilations": (2, 1), "strides": (2, 2)}),
        ((1, 2, 3, 3), (2, 3, 3, 3), {"strides": (3, 2), "output_shape": (10, 8)}),
        ((1, 2, 3, 4), (2, 3, 3, 3), {"strides": (2, 2), "auto_pad": "SAME_UPPER"}),
        ((1, 2, 5), (2, 1, 4), {"strides": (2,), "pads": (1, 2)}),
        ((1, 2, 3, 2, 3), (2, 2, 2, 2, 2), {"strides": (2, 1, 2)}),
    ],
)
def test_conv_transpose_matches_onnxruntime(x_shape, w_shape, attrs) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(3)
    check_against_ort(*_conv_case(rng, x_shape, w_shape, bias=True, op="ConvTranspose", **attrs))


def test_conv_keeps_float16_and_float64() -> None:
    rng = np.random.default_rng(4)
    x = rng.standard_normal((1, 3, 6, 6))
    w = rng.standard_normal((2, 3, 3, 3))
    attrs = Conv.make_attrs({"pads": (1, 1, 1, 1)})
    (want,) = Conv.compute([x, w], attrs)
    for dtype, tol in ((np.float16, 1e-2), (np.float32, 1e-5)):
        (got,) = Conv.compute([x.astype(dtype), w.astype(dtype)], attrs)
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol * 4)
    assert want.dtype == np.float64
