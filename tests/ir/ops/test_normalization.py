"""Normalization ops: errors, training-mode BatchNormalization, and agreement with onnxruntime."""

import numpy as np
import pytest
from _nn_check import check_against_ort, node_model

from tessera.errors import ShapeError
from tessera.frontends.onnx_import import load_onnx
from tessera.ir.dtypes import DType
from tessera.ir.ops.normalization import (
    BatchNormalization,
    GroupNormalization,
    InstanceNormalization,
    LayerNormalization,
)
from tessera.ir.types import TensorType

F32 = DType.FLOAT32


def _t(*shape: int) -> TensorType:
    return TensorType(F32, shape)


def _bn_params(rng: np.random.Generator, channels: int) -> dict[str, np.ndarray]:
    scale, bias, mean = (rng.standard_normal(channels).astype(np.float32) for _ in range(3))
    var = rng.random(channels).astype(np.float32) + 0.1
    return {"scale": scale, "bias": bias, "mean": mean, "var": var}


@pytest.mark.parametrize("shape", [(2, 3), (2, 3, 5), (1, 4, 3, 5), (1, 2, 3, 2, 2)])
def test_batch_norm_matches_onnxruntime(shape) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(10)
    x = rng.standard_normal(shape).astype(np.float32)
    model = node_model("BatchNormalization", {"x": x}, _bn_params(rng, shape[1]), epsilon=1e-3)
    check_against_ort(model, {"x": x})


def test_batch_norm_training_mode_uses_batch_statistics() -> None:
    rng = np.random.default_rng(11)
    x = rng.standard_normal((4, 3, 5)).astype(np.float32)
    p = _bn_params(rng, 3)
    attrs = BatchNormalization.make_attrs({"training_mode": 1, "momentum": 0.8, "epsilon": 1e-2})
    types = BatchNormalization.infer([_t(4, 3, 5)] + [_t(3)] * 4, attrs)
    assert types == [_t(4, 3, 5), _t(3), _t(3)]
    y, running_mean, running_var = BatchNormalization.compute([x, *p.values()], attrs)
    mean, var = x.mean(axis=(0, 2)), x.var(axis=(0, 2))
    want = (x - mean[:, None]) / np.sqrt(var[:, None] + 1e-2) * p["scale"][:, None] + p["bias"][:, None]
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(running_mean, p["mean"] * 0.8 + mean * 0.2, rtol=1e-6)
    np.testing.assert_allclose(running_var, p["var"] * 0.8 + var * 0.2, rtol=1e-6)


def test_batch_norm_rejects_parameters_of_the_wrong_size() -> None:
    with pytest.raises(ShapeError, match=r"input_var .* must have shape \(3,\)"):
        BatchNormalization.infer([_t(2, 3, 4), _t(3), _t(3), _t(3), _t(4)], BatchNormalization.make_attrs({}))
    assert BatchNormalization.macs([_t(2, 3, 4)], [_t(2, 3, 4)], BatchNormalization.make_attrs({})) == 24


@pytest.mark.parametrize(
    ("shape", "axis", "with_bias"), [((2, 3, 4), -1, True), ((2, 3, 4), 1, False), ((3, 5), 0, True)]
)
def test_layer_norm_matches_onnxruntime(shape, axis, with_bias) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(12)
    x = rng.standard_normal(shape).astype(np.float32)
    params = {"scale": rng.standard_normal(shape[axis:]).astype(np.float32)}
    if with_bias:
        params["bias"] = rng.standard_normal(shape[axis:]).astype(np.float32)
    model = node_model("LayerNormalization", {"x": x}, params, outputs=("y", "mean", "inv_std"), axis=axis)
    _, mean, inv_std = check_against_ort(model, {"x": x})
    norm_axis = axis % len(shape)
    assert mean.shape == (*shape[:norm_axis], *(1,) * (len(shape) - norm_axis)) and inv_std.dtype == np.float32


def test_layer_norm_rejects_other_stash_types_and_bad_scales() -> None:
    with pytest.raises(ShapeError, match="stash_type"):
        LayerNormalization.infer([_t(2, 3), _t(3)], LayerNormalization.make_attrs({"stash_type": 0}))
    with pytest.raises(ShapeError, match="does not broadcast"):
        LayerNormalization.infer([_t(2, 3), _t(2)], LayerNormalization.make_attrs({}))


def test_instance_norm_matches_onnxruntime() -> None:
    rng = np.random.default_rng(13)
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    params = {k: rng.standard_normal(3).astype(np.float32) for k in ("scale", "bias")}
    check_against_ort(node_model("InstanceNormalization", {"x": x}, params, epsilon=1e-3), {"x": x})
    with pytest.raises(ShapeError, match="scale"):
        InstanceNormalization.infer([_t(2, 3, 4), _t(2), _t(3)], InstanceNormalization.make_attrs({}))


def test_group_norm_matches_onnxruntime() -> None:
    rng = np.random.default_rng(14)
    x = rng.standard_normal((2, 6, 3, 2)).astype(np.float32)
    params = {k: rng.standard_normal(6).astype(np.float32) for k in ("scale", "bias")}
    check_against_ort(node_model("GroupNormalization", {"x": x}, params, num_groups=3), {"x": x})


def test_group_norm_needs_groups_that_divide_the_channels_and_opset_21() -> None:
    with pytest.raises(ShapeError, match="num_groups 4 must divide"):
        GroupNormalization.infer([_t(2, 6, 3), _t(6), _t(6)], GroupNormalization.make_attrs({"num_groups": 4}))
    x = np.zeros((1, 4, 2), np.float32)
    params = {k: np.ones(2, np.float32) for k in ("scale", "bias")}
    with pytest.raises(ShapeError, match="opset 21"):
        load_onnx(node_model("GroupNormalization", {"x": x}, params, opset=18, num_groups=2))
