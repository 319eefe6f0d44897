"""ATen -> IR: layers (convolution, normalization, pooling, linear algebra, attention, embedding)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tessera.errors import ShapeError
from tessera.frontends.torch_ops_base import Ctx, aten, axis, ints
from tessera.ir.dtypes import DType
from tessera.ir.graph import Value
from tessera.ir.ops.conv import Conv, ConvTranspose
from tessera.ir.ops.elementwise import Add, Mul
from tessera.ir.ops.indexing import Gather
from tessera.ir.ops.layout import DepthToSpace
from tessera.ir.ops.linalg import Gemm, MatMul
from tessera.ir.ops.logic import Where
from tessera.ir.ops.normalization import BatchNormalization, GroupNormalization, LayerNormalization
from tessera.ir.ops.pooling import AveragePool, GlobalAveragePool, MaxPool
from tessera.ir.ops.resize import Resize
from tessera.ir.ops.shape_ops import Transpose
from tessera.ir.ops.softmax import LogSoftmax, Softmax


# ---- convolution -------------------------------------------------------------------------------
def _conv(cx: Ctx, a: dict[str, Any], transposed: bool = False, output_padding: Any = 0) -> Value:
    x, w = cx.v(a["input"]), cx.v(a["weight"])
    rank = x.type.rank - 2
    padding = a["padding"]
    attrs: dict[str, Any] = {
        "strides": ints(a["stride"], rank),
        "dilations": ints(a["dilation"], rank),
        "group": int(a["groups"]),
    }
    if padding == "same":
        attrs["auto_pad"] = "SAME_UPPER"
    else:
        pads = [0] * rank if padding == "valid" else ints(padding, rank)
        attrs["pads"] = pads + pads
    inputs = [x, w] + ([cx.v(a["bias"])] if a["bias"] is not None else [])
    if not transposed:
        return cx.emit(Conv, inputs, attrs)
    attrs["output_padding"] = ints(output_padding, rank)
    return cx.emit(ConvTranspose, inputs, attrs)


@aten("conv1d.default", "conv2d.default", "conv2d.padding", "conv3d.default")
def conv(cx: Ctx, a: dict[str, Any]) -> Value:
    return _conv(cx, a)


@aten("convolution.default")
def convolution(cx: Ctx, a: dict[str, Any]) -> Value:
    return _conv(cx, a, bool(a["transposed"]), a["output_padding"])


# ---- normalization -----------------------------------------------------------------------------
def _affine(cx: Ctx, value: Any, channels: int, fill: float, dtype: DType) -> Value:
    if value is not None:
        return cx.v(value)
    return cx.const(np.full((channels,), fill, dtype=dtype.numpy()), "affine")


def _batch_norm(cx: Ctx, a: dict[str, Any]) -> Value:
    x = cx.v(a["input"])
    c = x.shape[1]
    inputs = [
        x,
        _affine(cx, a["weight"], c, 1.0, x.dtype),
        _affine(cx, a["bias"], c, 0.0, x.dtype),
        cx.v(a["running_mean"]),
        cx.v(a["running_var"]),
    ]
    return cx.emit(BatchNormalization, inputs, {"epsilon": a["eps"]})


@aten("batch_norm.default")
def batch_norm(cx: Ctx, a: dict[str, Any]) -> Value:
    if a["training"] or a["running_mean"] is None:
        raise ShapeError("batch norm with batch statistics (training mode) is not supported; call model.eval()")
    return _batch_norm(cx, a)


@aten("_native_batch_norm_legit_no_training.default")
def batch_norm_no_training(cx: Ctx, a: dict[str, Any]) -> list[Value | None]:
    return [_batch_norm(cx, a), None, None]


def _layer_norm(cx: Ctx, a: dict[str, Any]) -> Value:
    x = cx.v(a["input"])
    shape = tuple(a["normalized_shape"])
    scale = _full_param(cx, a["weight"], shape, 1.0, x.dtype)
    inputs = [x, scale] + ([cx.v(a["bias"])] if a["bias"] is not None else [])
    return cx.emit(LayerNormalization, inputs, {"axis": -len(shape), "epsilon": a["eps"]})


def _full_param(cx: Ctx, value: Any, shape: tuple[int, ...], fill: float, dtype: DType) -> Value:
    if value is not None:
        return cx.v(value)
    return cx.const(np.full(shape, fill, dtype=dtype.numpy()), "scale")


@aten("layer_norm.default")
def layer_norm(cx: Ctx, a: dict[str, Any]) -> Value:
    return _layer_norm(cx, a)


@aten("native_layer_norm.default")
def native_layer_norm(cx: Ctx, a: dict[str, Any]) -> list[Value | None]:
    return [_layer_norm(cx, a), None, None]


@aten("group_norm.default")
def group_norm(cx: Ctx, a: dict[str, Any]) -> Value:
    x = cx.v(a["input"])
    c = x.shape[1]
    inputs = [x, _affine(cx, a["weight"], c, 1.0, x.dtype), _affine(cx, a["bias"], c, 0.0, x.dtype)]
    return cx.emit(GroupNormalization, inputs, {"num_groups": a["num_groups"], "epsilon": a["eps"]})


# ---- pooling -----------------------------------------------------------------------------------
def _window(a: dict[str, Any], rank: int) -> dict[str, Any]:
    kernel = ints(a["kernel_size"], rank)
    stride = ints(a["stride"], rank) if a["stride"] else kernel
    pads = ints(a["padding"], rank)
    return {"kernel_shape": kernel, "strides": stride, "pads": pads + pads, "ceil_mode": int(bool(a["ceil_mode"]))}


@aten("max_pool2d.default", "max_pool1d.default", "max_pool3d.default")
def max_pool(cx: Ctx, a: dict[str, Any]) -> Value:
    x = cx.v(a["input"])
    attrs = {**_window(a, x.type.rank - 2), "dilations": ints(a["dilation"], x.type.rank - 2)}
    return cx.emit(MaxPool, [x], attrs)


@aten("max_pool2d_with_indices.default", "max_pool3d_with_indices.default")
def max_pool_with_indices(cx: Ctx, a: dict[str, Any]) -> list[Value | None]:
    return [max_pool(cx, a), None]


@aten("avg_pool2d.default", "avg_pool1d.default", "avg_pool3d.default")
def avg_pool(cx: Ctx, a: dict[str, Any]) -> Value:
    if a.get("divisor_override") is not None:
        raise ShapeError("avg_pool with divisor_override is not supported")
    x = cx.v(a["input"])
    attrs = {**_window(a, x.type.rank - 2), "count_include_pad": int(bool(a["count_include_pad"]))}
    return cx.emit(AveragePool, [x], attrs)


@aten("adaptive_avg_pool2d.default", "_adaptive_avg_pool2d.default", "adaptive_avg_pool1d.default")
def adaptive_avg_pool(cx: Ctx, a: dict[str, Any]) -> Value:
    x = cx.v(a["self"])
    spatial = x.shape[2:]
    out = ints(a["output_size"], len(spatial))
    if all(o == 1 for o in out):
        return cx.emit(GlobalAveragePool, [x])
    if any(s % o for s, o in zip(spatial, out)):
        raise ShapeError(f"adaptive average pooling from {spatial} to {tuple(out)} needs sizes that divide evenly")
    kernel = [s // o for s, o in zip(spatial, out)]
    attrs = {"kernel_shape": kernel, "strides": kernel, "pads": [0] * (2 * len(out))}
    return cx.emit(AveragePool, [x], attrs)


# ---- linear algebra ----------------------------------------------------------------------------
def _transposed(cx: Ctx, w: Value) -> Value:
    if w.data is not None:
        return cx.const(np.ascontiguousarray(np.swapaxes(w.data, -1, -2)), w.name + "_t")
    perm = list(range(w.type.rank))
    perm[-1], perm[-2] = perm[-2], perm[-1]
    return cx.emit(Transpose, [w], {"perm": perm})


@aten("linear.default")
def linear(cx: Ctx, a: dict[str, Any]) -> Value:
    x, w = cx.v(a["input"]), cx.v(a["weight"])
    if x.type.rank == 2 and a["bias"] is not None:
        return cx.emit(Gemm, [x, w, cx.v(a["bias"])], {"transB": 1})
    y = cx.emit(MatMul, [x, _transposed(cx, w)])
    return y if a["bias"] is None else cx.emit(Add, [y, cx.v(a["bias"])])


@aten("addmm.default")
def addmm(cx: Ctx, a: dict[str, Any]) -> Value:
    attrs = {"alpha": float(a["alpha"]), "beta": float(a["beta"])}
    return cx.emit(Gemm, [cx.v(a["mat1"]), cx.v(a["mat2"]), cx.v(a["self"])], attrs)


@aten("mm.default", "bmm.default", "matmul.default")
def matmul(cx: Ctx, a: dict[str, Any]) -> Value:
    other = a.get("mat2", a.get("other"))
    return cx.emit(MatMul, [cx.v(a["self"]), cx.v(other)])


# ---- softmax, attention, embedding -------------------------------------------------------------
@aten("_softmax.default", "softmax.int", "_log_softmax.default", "log_softmax.int")
def softmax(cx: Ctx, a: dict[str, Any]) -> Value:
    x = cx.cast(cx.v(a["self"]), cx.out_type().dtype)
    op = LogSoftmax if "log" in str(cx.node.target) else Softmax
    return cx.emit(op, [x], {"axis": axis(a["dim"], x.type.rank)})


@aten("scaled_dot_product_attention.default")
def sdpa(cx: Ctx, a: dict[str, Any]) -> Value:
    """softmax(Q K^T * scale + mask) V; a boolean mask keeps the positions where it is True."""
    q, k, v = cx.v(a["query"]), cx.v(a["key"]), cx.v(a["value"])
    if a.get("enable_gqa") and q.shape[-3] != k.shape[-3]:
        raise ShapeError("grouped-query attention (enable_gqa with fewer key heads) is not supported")
    scale = a["scale"] if a["scale"] is not None else 1.0 / math.sqrt(q.shape[-1])
    scores = cx.emit(MatMul, [q, _transposed(cx, k)])
    scores = cx.emit(Mul, [scores, cx.const(np.asarray(scale, q.dtype.numpy()), "scale")])
    bias = _attention_bias(cx, a, q, k)
    if bias is not None:
        scores = cx.emit(Add, [scores, bias])
    return cx.emit(MatMul, [cx.emit(Softmax, [scores], {"axis": -1}), v])


def _attention_bias(cx: Ctx, a: dict[str, Any], q: Value, k: Value) -> Value | None:
    dtype = q.dtype.numpy()
    if a["is_causal"]:
        length, source = q.shape[-2], k.shape[-2]
        causal = np.tril(np.ones((length, source), dtype=bool))
        return cx.const(np.where(causal, 0, -np.inf).astype(dtype), "causal_mask")
    if a["attn_mask"] is None:
        return None
    mask = cx.v(a["attn_mask"])
    if mask.dtype is not DType.BOOL:
        return cx.cast(mask, q.dtype)
    zero, neg = cx.const(np.zeros((), dtype), "zero"), cx.const(np.asarray(-np.inf, dtype), "neg_inf")
    return cx.emit(Where, [mask, zero, neg])


@aten("embedding.default")
def embedding(cx: Ctx, a: dict[str, Any]) -> Value:
    return cx.emit(Gather, [cx.v(a["weight"]), cx.v(a["indices"])], {"axis": 0})


# ---- layout and resampling ---------------------------------------------------------------------
@aten("pixel_shuffle.default")
def pixel_shuffle(cx: Ctx, a: dict[str, Any]) -> Value:
    x = cx.v(a["self"])
    if x.type.rank != 4:
        raise ShapeError(f"pixel_shuffle on rank {x.type.rank} is supported for rank 4 only")
    return cx.emit(DepthToSpace, [x], {"blocksize": a["upscale_factor"], "mode": "CRD"})


@aten("upsample_nearest2d.vec", "upsample_bilinear2d.vec", "upsample_nearest2d.default", "upsample_bilinear2d.default")
def upsample(cx: Ctx, a: dict[str, Any]) -> Value:
    x = cx.v(a["input"])
    sizes = list(x.shape[:2]) + list(cx.out_type().shape[2:])
    if "nearest" in str(cx.node.target):
        attrs = {"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"}
    else:
        mode = "align_corners" if a.get("align_corners") else "pytorch_half_pixel"
        attrs = {"mode": "linear", "coordinate_transformation_mode": mode}
    return cx.emit(Resize, [x], {**attrs, "sizes": sizes})
