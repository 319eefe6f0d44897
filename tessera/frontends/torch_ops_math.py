"""ATen -> IR: elementwise arithmetic, activations, comparisons and reductions.

Binary ops follow torch's type promotion: both operands are cast to the dtype torch recorded for the
result (or, for comparisons, to the operands' common dtype); Python scalars become constants of it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tessera.errors import ShapeError
from tessera.frontends.torch_ops_base import Ctx, aten, axis
from tessera.ir.dtypes import DType
from tessera.ir.graph import Value
from tessera.ir.ops import activation as act
from tessera.ir.ops import elementwise as ew
from tessera.ir.ops import logic
from tessera.ir.ops import math_unary as mu
from tessera.ir.ops import reduce as red
from tessera.ir.ops.base import Op
from tessera.ir.ops.bitwise import BitwiseAnd, BitwiseNot, BitwiseOr, BitwiseXor
from tessera.ir.ops.clip import Clip


def _common(cx: Ctx, x: Any, y: Any) -> DType:
    """torch's promotion for two operands, each a tensor node or a Python scalar."""
    tx = None if isinstance(x, (bool, int, float)) else cx.arg_type(x).dtype
    ty = None if isinstance(y, (bool, int, float)) else cx.arg_type(y).dtype
    if tx is not None and ty is not None:
        return tx if tx is ty else DType.from_numpy(np.promote_types(tx.numpy(), ty.numpy()))
    tensor, scalar = (tx, y) if tx is not None else (ty, x)
    assert tensor is not None
    if isinstance(scalar, float) and not tensor.is_float:
        return DType.FLOAT32
    if isinstance(scalar, int) and not isinstance(scalar, bool) and tensor is DType.BOOL:
        return DType.INT64
    return tensor


def _binary(cx: Ctx, op: type[Op], x: Any, y: Any, dtype: DType | None = None) -> Value:
    dtype = dtype or cx.out_type().dtype
    return cx.emit(op, [cx.v(x, dtype), cx.v(y, dtype)])


def _arith(op: type[Op], reverse: bool = False) -> Any:
    def convert(cx: Ctx, a: dict[str, Any]) -> Value:
        x, y = a["self"], a["other"]
        if a.get("alpha", 1) != 1:  # add/sub(x, y, alpha) = x +- alpha * y
            y = _binary(cx, ew.Mul, y, a["alpha"])
        return _binary(cx, op, y, x) if reverse else _binary(cx, op, x, y)

    return convert


aten("add.Tensor", "add.Scalar")(_arith(ew.Add))
aten("sub.Tensor", "sub.Scalar")(_arith(ew.Sub))
aten("rsub.Tensor", "rsub.Scalar")(_arith(ew.Sub, reverse=True))
aten("mul.Tensor", "mul.Scalar")(_arith(ew.Mul))
aten("div.Tensor", "div.Scalar")(_arith(ew.Div))
aten("maximum.default")(_arith(ew.Max))
aten("minimum.default")(_arith(ew.Min))


@aten("div.Tensor_mode", "div.Scalar_mode")
def div_mode(cx: Ctx, a: dict[str, Any]) -> Value:
    mode, out = a["rounding_mode"], cx.out_type().dtype
    if mode is None:
        return _binary(cx, ew.Div, a["self"], a["other"])
    if not out.is_float:
        raise ShapeError(f"integer division with rounding_mode={mode!r} is not supported")
    q = _binary(cx, ew.Div, a["self"], a["other"])
    if mode == "floor":
        return cx.emit(mu.Floor, [q])
    return cx.emit(ew.Mul, [cx.emit(mu.Sign, [q]), cx.emit(mu.Floor, [cx.emit(mu.Abs, [q])])])


@aten("pow.Tensor_Scalar", "pow.Tensor_Tensor", "pow.Scalar")
def pow_(cx: Ctx, a: dict[str, Any]) -> Value:
    base, exponent = a["self"], a["exponent"]
    if exponent == 2:
        x = cx.v(base, cx.out_type().dtype)
        return cx.emit(ew.Mul, [x, x])
    if exponent == 0.5:
        return cx.emit(mu.Sqrt, [cx.v(base, cx.out_type().dtype)])
    return _binary(cx, ew.Pow, base, exponent)


# ---- unary ---------------------------------------------------------------------------------------
_UNARY: dict[str, type[Op]] = {
    "relu": act.Relu,
    "sigmoid": act.Sigmoid,
    "tanh": act.Tanh,
    "mish": act.Mish,
    "exp": mu.Exp,
    "log": mu.Log,
    "sqrt": mu.Sqrt,
    "neg": mu.Neg,
    "abs": mu.Abs,
    "erf": mu.Erf,
    "reciprocal": mu.Reciprocal,
    "floor": mu.Floor,
    "ceil": mu.Ceil,
    "round": mu.Round,
    "sign": mu.Sign,
    "sin": mu.Sin,
    "cos": mu.Cos,
    "hardswish": act.HardSwish,
    "logical_not": logic.Not,
}


def _unary(op: type[Op]) -> Any:
    def convert(cx: Ctx, a: dict[str, Any]) -> Value:
        return cx.emit(op, [cx.v(a["self"], cx.out_type().dtype)])

    return convert


for _name, _op in _UNARY.items():
    aten(f"{_name}.default")(_unary(_op))


@aten("bitwise_not.default")
def bitwise_not(cx: Ctx, a: dict[str, Any]) -> Value:
    x = cx.v(a["self"])
    return cx.emit(logic.Not if x.dtype is DType.BOOL else BitwiseNot, [x])


@aten("rsqrt.default")
def rsqrt(cx: Ctx, a: dict[str, Any]) -> Value:
    return cx.emit(mu.Reciprocal, [cx.emit(mu.Sqrt, [cx.v(a["self"], cx.out_type().dtype)])])


@aten("silu.default")
def silu(cx: Ctx, a: dict[str, Any]) -> Value:
    x = cx.v(a["self"])
    return cx.emit(ew.Mul, [x, cx.emit(act.Sigmoid, [x])])


@aten("gelu.default")
def gelu(cx: Ctx, a: dict[str, Any]) -> Value:
    return cx.emit(act.Gelu, [cx.v(a["self"])], {"approximate": a["approximate"]})


@aten("hardsigmoid.default")
def hardsigmoid(cx: Ctx, a: dict[str, Any]) -> Value:
    return cx.emit(act.HardSigmoid, [cx.v(a["self"])], {"alpha": 1.0 / 6.0, "beta": 0.5})


@aten("leaky_relu.default")
def leaky_relu(cx: Ctx, a: dict[str, Any]) -> Value:
    return cx.emit(act.LeakyRelu, [cx.v(a["self"])], {"alpha": a["negative_slope"]})


@aten("elu.default")
def elu(cx: Ctx, a: dict[str, Any]) -> Value:
    if a["scale"] != 1 or a["input_scale"] != 1:
        raise ShapeError("elu with scale or input_scale other than 1 is not supported")
    return cx.emit(act.Elu, [cx.v(a["self"])], {"alpha": a["alpha"]})


@aten("softplus.default")
def softplus(cx: Ctx, a: dict[str, Any]) -> Value:
    """log(1 + exp(beta x)) / beta; torch's linear branch above `threshold` agrees within rounding."""
    x, beta = cx.v(a["self"]), float(a["beta"])
    if beta == 1.0:
        return cx.emit(act.Softplus, [x])
    scaled = cx.emit(act.Softplus, [_binary(cx, ew.Mul, x, beta)])
    return _binary(cx, ew.Div, scaled, beta)


@aten("hardtanh.default", "clamp.default", "clamp_min.default", "clamp_max.default")
def clamp(cx: Ctx, a: dict[str, Any]) -> Value:
    low = a.get("min", a.get("min_val"))
    high = a.get("max", a.get("max_val"))
    return cx.emit(Clip, [cx.v(a["self"])], {"min": low, "max": high})


# ---- comparisons and logic -----------------------------------------------------------------------
def _compare(op: type[Op], negate: bool = False) -> Any:
    def convert(cx: Ctx, a: dict[str, Any]) -> Value:
        y = _binary(cx, op, a["self"], a["other"], _common(cx, a["self"], a["other"]))
        return cx.emit(logic.Not, [y]) if negate else y

    return convert


for _name, _op, _neg in [
    ("eq", logic.Equal, False),
    ("ne", logic.Equal, True),
    ("lt", logic.Less, False),
    ("le", logic.LessOrEqual, False),
    ("gt", logic.Greater, False),
    ("ge", logic.GreaterOrEqual, False),
]:
    aten(f"{_name}.Tensor", f"{_name}.Scalar")(_compare(_op, _neg))


def _logical(bool_op: type[Op], int_op: type[Op]) -> Any:
    def convert(cx: Ctx, a: dict[str, Any]) -> Value:
        out = cx.out_type().dtype
        return _binary(cx, bool_op if out is DType.BOOL else int_op, a["self"], a["other"])

    return convert


aten("logical_and.default", "bitwise_and.Tensor", "bitwise_and.Scalar")(_logical(logic.And, BitwiseAnd))
aten("logical_or.default", "bitwise_or.Tensor", "bitwise_or.Scalar")(_logical(logic.Or, BitwiseOr))
aten("logical_xor.default", "bitwise_xor.Tensor", "bitwise_xor.Scalar")(_logical(logic.Xor, BitwiseXor))


@aten("where.self", "where.ScalarSelf", "where.ScalarOther", "where.Scalar")
def where(cx: Ctx, a: dict[str, Any]) -> Value:
    dtype = cx.out_type().dtype
    return cx.emit(logic.Where, [cx.v(a["condition"], DType.BOOL), cx.v(a["self"], dtype), cx.v(a["other"], dtype)])


@aten("masked_fill.Scalar", "masked_fill.Tensor")
def masked_fill(cx: Ctx, a: dict[str, Any]) -> Value:
    dtype = cx.out_type().dtype
    return cx.emit(logic.Where, [cx.v(a["mask"], DType.BOOL), cx.v(a["value"], dtype), cx.v(a["self"], dtype)])


# ---- reductions ----------------------------------------------------------------------------------
def _axes(cx: Ctx, a: dict[str, Any]) -> list[int]:
    rank = cx.arg_type(a["self"]).rank
    dims = a.get("dim")
    if dims is None or dims == []:
        return list(range(rank))
    dims = [dims] if isinstance(dims, int) else dims
    return sorted(axis(d, rank) for d in dims)


def _reduce(op: type[Op]) -> Any:
    def convert(cx: Ctx, a: dict[str, Any]) -> Value:
        x = cx.v(a["self"], cx.out_type().dtype if op in (red.ReduceMean, red.ReduceSum) else None)
        return cx.emit(op, [x], {"axes": _axes(cx, a), "keepdims": int(bool(a.get("keepdim", False)))})

    return convert


aten("mean.dim", "mean.default")(_reduce(red.ReduceMean))
aten("sum.dim_IntList", "sum.default")(_reduce(red.ReduceSum))
aten("amax.default")(_reduce(red.ReduceMax))
aten("amin.default")(_reduce(red.ReduceMin))
aten("prod.dim_int", "prod.default")(_reduce(red.ReduceProd))


def _arg(op: type[Op]) -> Any:
    def convert(cx: Ctx, a: dict[str, Any]) -> Value:
        x = cx.v(a["self"])
        keep = int(bool(a["keepdim"]))
        if a["dim"] is None:  # over the flattened tensor
            return cx.emit(op, [_flat(cx, x)], {"axis": 0, "keepdims": keep})
        return cx.emit(op, [x], {"axis": axis(a["dim"], x.type.rank), "keepdims": keep})

    return convert


def _flat(cx: Ctx, x: Value) -> Value:
    from tessera.ir.ops.shape_ops import Reshape

    return cx.emit(Reshape, [x], {"shape": [x.type.numel]})


aten("argmax.default")(_arg(red.ArgMax))
aten("argmin.default")(_arg(red.ArgMin))


@aten("max.dim", "min.dim")
def max_dim(cx: Ctx, a: dict[str, Any]) -> list[Value]:
    x, maximum = cx.v(a["self"]), str(cx.node.target).startswith("aten.max")
    attrs = {"axes": [axis(a["dim"], x.type.rank)], "keepdims": int(bool(a["keepdim"]))}
    values = cx.emit(red.ReduceMax if maximum else red.ReduceMin, [x], attrs)
    indices = _arg(red.ArgMax if maximum else red.ArgMin)(cx, a)
    return [values, indices]


@aten("var.correction", "var.dim")
def var(cx: Ctx, a: dict[str, Any]) -> Value:
    """mean((x - mean(x))^2) * n / (n - correction)."""
    x, axes = cx.v(a["self"]), _axes(cx, a)
    correction = a.get("correction")
    correction = (1 if a.get("unbiased", True) else 0) if correction is None else correction
    n = int(np.prod([x.shape[i] for i in axes]))
    centered = cx.emit(ew.Sub, [x, cx.emit(red.ReduceMean, [x], {"axes": axes, "keepdims": 1})])
    square = cx.emit(ew.Mul, [centered, centered])
    keep = int(bool(a["keepdim"]))
    mean = cx.emit(red.ReduceMean, [square], {"axes": axes, "keepdims": keep})
    if correction == 0:
        return mean
    return _binary(cx, ew.Mul, mean, n / max(n - correction, 1))


@aten("log1p.default")
def log1p(cx: Ctx, a: dict[str, Any]) -> Value:
    return cx.emit(mu.Log, [_binary(cx, ew.Add, a["self"], 1.0)])


@aten("expm1.default")
def expm1(cx: Ctx, a: dict[str, Any]) -> Value:
    return _binary(cx, ew.Sub, cx.emit(mu.Exp, [cx.v(a["self"], cx.out_type().dtype)]), 1.0)
