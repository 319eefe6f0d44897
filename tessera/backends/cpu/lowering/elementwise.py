"""Element-wise ops: arithmetic, comparison, logic, math functions and activations."""

from __future__ import annotations

from collections.abc import Callable
from functools import reduce

from tvm import relax

from tessera.backends.cpu.lowering._ctx import Ctx, Rule
from tessera.ir.ops.activation import (
    Celu,
    Elu,
    Gelu,
    HardSigmoid,
    HardSwish,
    LeakyRelu,
    Mish,
    Relu,
    Selu,
    Shrink,
    Sigmoid,
    Softplus,
    Softsign,
    Tanh,
    ThresholdedRelu,
)
from tessera.ir.ops.base import Op
from tessera.ir.ops.bitwise import BitShift, BitwiseAnd, BitwiseNot, BitwiseOr, BitwiseXor
from tessera.ir.ops.clip import Clip, PRelu
from tessera.ir.ops.elementwise import Add, Div, Max, Mean, Min, Mod, Mul, Pow, Sub, Sum
from tessera.ir.ops.logic import (
    And,
    Equal,
    Greater,
    GreaterOrEqual,
    IsInf,
    IsNaN,
    Less,
    LessOrEqual,
    Not,
    Or,
    Where,
    Xor,
)
from tessera.ir.ops.math_unary import (
    Abs,
    Acos,
    Acosh,
    Asin,
    Asinh,
    Atan,
    Atanh,
    Ceil,
    Cos,
    Cosh,
    Erf,
    Exp,
    Floor,
    Log,
    Neg,
    Reciprocal,
    Round,
    Sign,
    Sin,
    Sinh,
    Sqrt,
    Tan,
)

R = relax.op


def _binary(fn: Callable[[relax.Expr, relax.Expr], relax.Expr]) -> Rule:
    return lambda ctx, a: fn(a[0], a[1])


def _variadic(fn: Callable[[relax.Expr, relax.Expr], relax.Expr]) -> Rule:
    return lambda ctx, a: reduce(fn, a)


def _unary(fn: Callable[[relax.Expr], relax.Expr]) -> Rule:
    return lambda ctx, a: fn(a[0])


def _div(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    if ctx.out.dtype.is_float:
        return R.divide(a[0], a[1])
    # ONNX integer division truncates toward zero
    from tvm import te
    from tvm import tirx as tir

    return ctx.emit_te(lambda x, y: te.compute(x.shape, lambda *i: tir.truncdiv(x(*i), y(*i))), *_same_shape(ctx, a))


def _same_shape(ctx: Ctx, a: list[relax.Expr]) -> list[relax.Expr]:
    return [
        ctx.bb.emit(R.broadcast_to(x, ctx.out.shape)) if t.shape != ctx.out.shape else x
        for x, t in zip(a, ctx.in_types)
    ]


def _mod(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    if ctx.attrs["fmod"]:
        if ctx.out.dtype.value == "float16":  # fmod in float32, as the reference does
            return R.astype(R.mod(R.astype(a[0], "float32"), R.astype(a[1], "float32")), "float16")
        return R.mod(a[0], a[1])  # C fmod: the sign of the dividend
    return R.floor_mod(a[0], a[1])  # the sign of the divisor


def _pow(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    base, exp = ctx.in_types
    e = a[1] if exp.dtype == base.dtype else R.astype(a[1], base.dtype.value)
    return R.power(a[0], e)


def _mean(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    return R.divide(reduce(R.add, a), ctx.const(len(a)))


def _xor(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    return R.logical_xor(a[0], a[1])


def _reciprocal(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    return R.divide(ctx.const(1), a[0])


def _round(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    from tvm import te
    from tvm import tirx as tir

    return ctx.emit_te(lambda x: te.compute(x.shape, lambda *i: tir.nearbyint(x(*i))), a[0])  # half to even


def _is_inf(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    x, inf = a[0], R.isinf(a[0])
    pos, neg = ctx.attrs["detect_positive"], ctx.attrs["detect_negative"]
    if pos and neg:
        return inf
    if not pos and not neg:
        return R.zeros(ctx.out.shape, "bool")
    side = R.greater(x, ctx.const(0)) if pos else R.less(x, ctx.const(0))
    return R.logical_and(inf, side)


def _bitshift(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    return (R.left_shift if ctx.attrs["direction"] == "LEFT" else R.right_shift)(a[0], a[1])


# ---- activations -------------------------------------------------------------------------------
def _relu(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    return R.nn.relu(a[0]) if ctx.out.dtype.is_float else R.maximum(a[0], ctx.const(0))


def _leaky_relu(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    x = a[0]
    return R.where(R.greater_equal(x, ctx.const(0)), x, R.multiply(x, ctx.const(ctx.attrs["alpha"])))


def _elu_neg(ctx: Ctx, x: relax.Expr, alpha: float) -> relax.Expr:
    return R.multiply(ctx.const(alpha), R.subtract(R.exp(x), ctx.const(1)))


def _elu(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    x = a[0]
    return R.where(R.greater(x, ctx.const(0)), x, _elu_neg(ctx, x, ctx.attrs["alpha"]))


def _selu(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    x = a[0]
    inner = R.where(R.greater(x, ctx.const(0)), x, _elu_neg(ctx, x, ctx.attrs["alpha"]))
    return R.multiply(ctx.const(ctx.attrs["gamma"]), inner)


def _celu(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    x, alpha = a[0], ctx.attrs["alpha"]
    neg = R.multiply(ctx.const(alpha), R.subtract(R.exp(R.divide(x, ctx.const(alpha))), ctx.const(1)))
    return R.add(R.maximum(x, ctx.const(0)), R.minimum(neg, ctx.const(0)))


def _hard_sigmoid(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    y = R.add(R.multiply(a[0], ctx.const(ctx.attrs["alpha"])), ctx.const(ctx.attrs["beta"]))
    return R.minimum(R.maximum(y, ctx.const(0)), ctx.const(1))


def _hard_swish(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    y = R.add(R.multiply(a[0], ctx.const(1 / 6)), ctx.const(0.5))
    return R.multiply(a[0], R.minimum(R.maximum(y, ctx.const(0)), ctx.const(1)))


def _softplus_expr(ctx: Ctx, x: relax.Expr) -> relax.Expr:
    # log(1 + exp(x)) = max(x, 0) + log(1 + exp(-|x|)): no overflow, like numpy's logaddexp(0, x)
    return R.add(R.maximum(x, ctx.const(0)), R.log(R.add(ctx.const(1), R.exp(R.negative(R.abs(x))))))


def _softsign(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    return R.divide(a[0], R.add(ctx.const(1), R.abs(a[0])))


def _mish(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    return R.multiply(a[0], R.tanh(_softplus_expr(ctx, a[0])))


def _gelu(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    return R.nn.gelu_tanh(a[0]) if ctx.attrs["approximate"] == "tanh" else R.nn.gelu(a[0])


def _thresholded_relu(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    x = a[0]
    return R.where(R.greater(x, ctx.const(ctx.attrs["alpha"])), x, ctx.const(0))


def _shrink(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    x, lambd, bias = a[0], ctx.attrs["lambd"], ctx.attrs["bias"]
    above = R.where(R.greater(x, ctx.const(lambd)), R.subtract(x, ctx.const(bias)), ctx.const(0))
    return R.where(R.less(x, ctx.const(-lambd)), R.add(x, ctx.const(bias)), above)


def _clip(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    out = a[0]
    if ctx.attrs["min"] is not None:
        out = R.maximum(out, ctx.const(ctx.attrs["min"]))
    if ctx.attrs["max"] is not None:
        out = R.minimum(out, ctx.const(ctx.attrs["max"]))
    return out


def _prelu(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    x, slope = a
    return R.where(R.less(x, ctx.const(0)), R.multiply(x, slope), x)


RULES: dict[type[Op], Rule] = {
    Add: _binary(R.add),
    Sub: _binary(R.subtract),
    Mul: _binary(R.multiply),
    Div: _div,
    Mod: _mod,
    Pow: _pow,
    Max: _variadic(R.maximum),
    Min: _variadic(R.minimum),
    Sum: _variadic(R.add),
    Mean: _mean,
    Equal: _binary(R.equal),
    Greater: _binary(R.greater),
    GreaterOrEqual: _binary(R.greater_equal),
    Less: _binary(R.less),
    LessOrEqual: _binary(R.less_equal),
    And: _binary(R.logical_and),
    Or: _binary(R.logical_or),
    Xor: _xor,
    Not: _unary(R.logical_not),
    BitwiseAnd: _binary(R.bitwise_and),
    BitwiseOr: _binary(R.bitwise_or),
    BitwiseXor: _binary(R.bitwise_xor),
    BitwiseNot: _unary(R.bitwise_not),
    BitShift: _bitshift,
    Where: lambda ctx, a: R.where(a[0], a[1], a[2]),
    Abs: _unary(R.abs),
    Acos: _unary(R.acos),
    Acosh: _unary(R.acosh),
    Asin: _unary(R.asin),
    Asinh: _unary(R.asinh),
    Atan: _unary(R.atan),
    Atanh: _unary(R.atanh),
    Ceil: _unary(R.ceil),
    Cos: _unary(R.cos),
    Cosh: _unary(R.cosh),
    Erf: _unary(R.erf),
    Exp: _unary(R.exp),
    Floor: _unary(R.floor),
    Log: _unary(R.log),
    Neg: _unary(R.negative),
    Reciprocal: _reciprocal,
    Round: _round,
    Sigmoid: _unary(R.sigmoid),
    Sign: _unary(R.sign),
    Sin: _unary(R.sin),
    Sinh: _unary(R.sinh),
    Sqrt: _unary(R.sqrt),
    Tan: _unary(R.tan),
    Tanh: _unary(R.tanh),
    IsNaN: _unary(R.isnan),
    IsInf: _is_inf,
    Relu: _relu,
    LeakyRelu: _leaky_relu,
    Elu: _elu,
    Selu: _selu,
    Celu: _celu,
    HardSigmoid: _hard_sigmoid,
    HardSwish: _hard_swish,
    Softplus: lambda ctx, a: _softplus_expr(ctx, a[0]),
    Softsign: _softsign,
    Mish: _mish,
    Gelu: _gelu,
    ThresholdedRelu: _thresholded_relu,
    Shrink: _shrink,
    Clip: _clip,
    PRelu: _prelu,
}
