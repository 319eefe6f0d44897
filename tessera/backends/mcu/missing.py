"""The registry ops the MCU backend has no kernel for, each with why. tests/backends/mcu/
test_mcu_coverage.py checks that every registry op is either in the kernel table (table.py) or here,
never both, so a new op is a conscious choice on this target."""

from __future__ import annotations

from tessera.ir.ops import (
    activation,
    binary,
    bitwise,
    conv,
    elementwise,
    identity,
    indexing,
    layout,
    logic,
    math_unary,
    normalization,
    pad,
    pooling,
    reduce,
    resize,
    softmax,
    tensor,
)
from tessera.ir.ops.base import Op


def _lacks(reason: str, *ops: type[Op]) -> dict[type[Op], str]:
    return dict.fromkeys(ops, reason)


MISSING: dict[type[Op], str] = {
    **_lacks(
        "no C kernel for this unary function: tk_unary_f32 covers Relu, Sigmoid, Tanh, Erf, Exp, Sqrt, Neg, "
        "Abs, HardSwish and Gelu",
        *(math_unary.Acos, math_unary.Acosh, math_unary.Asin, math_unary.Asinh, math_unary.Atan),
        *(math_unary.Atanh, math_unary.Ceil, math_unary.Cos, math_unary.Cosh, math_unary.Floor, math_unary.Log),
        *(math_unary.Reciprocal, math_unary.Round, math_unary.Sign, math_unary.Sin, math_unary.Sinh, math_unary.Tan),
        *(activation.Celu, activation.Elu, activation.Mish, activation.Selu, activation.Shrink),
        *(activation.Softplus, activation.Softsign, activation.ThresholdedRelu),
    ),
    **_lacks(
        "no C kernel for this comparison or integer op: the mask kernels cover And, Or, Xor, Where (float32 "
        "values), IsNaN and GatherND",
        *(logic.Equal, logic.Greater, logic.GreaterOrEqual, logic.IsInf, logic.Less, logic.LessOrEqual, logic.Not),
        *(bitwise.BitShift, bitwise.BitwiseAnd, bitwise.BitwiseNot, bitwise.BitwiseOr, bitwise.BitwiseXor),
    ),
    **_lacks(
        "tk_binary_f32 covers Add, Sub, Mul and Div (and Sum through them) only",
        *(elementwise.Max, elementwise.Mean, elementwise.Min, elementwise.Mod, elementwise.Pow),
    ),
    **_lacks(
        "only ReduceSum and ReduceMean have a kernel (tk_reduce_sum_f32)",
        *(reduce.ArgMax, reduce.ArgMin, reduce.ReduceL1, reduce.ReduceL2, reduce.ReduceLogSum),
        *(reduce.ReduceLogSumExp, reduce.ReduceMax, reduce.ReduceMin, reduce.ReduceProd, reduce.ReduceSumSquare),
    ),
    **_lacks(
        "computes from shapes only: the frontend and fold-constants turn it into a constant before code generation",
        identity.ConstantOfShape,
        identity.Shape,
        identity.Size,
    ),
    conv.ConvTranspose: "no transposed-convolution kernel",
    layout.SpaceToDepth: "no kernel for the space-to-depth rearrangement (DepthToSpace has one)",
    **_lacks("no broadcast-copy kernel (Expand, Tile)", tensor.Expand, tensor.Tile),
    **_lacks("only Gather along one axis and GatherND have a kernel", indexing.GatherElements),
    **_lacks(
        "no kernel: BatchNormalization and LayerNormalization have one",
        normalization.GroupNormalization,
        normalization.InstanceNormalization,
    ),
    **_lacks("only Softmax has a kernel", softmax.Hardmax, softmax.LogSoftmax),
    pooling.LRN: "no local-response-normalization kernel",
    binary.BinarySign: "the float form the binarize pass trains; run pack-binary, which turns it into PackBits",
    pad.Pad: "no standalone padding kernel (convolutions and pools pad inside their kernels)",
    **_lacks("no interpolation kernel", resize.Resize, resize.Upsample),
}
