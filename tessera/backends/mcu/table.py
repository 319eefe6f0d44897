"""The MCU kernel table: one entry per op, holding all that the MCU backend knows about it.

An entry names the op's C emitter, its int8 variant where the op also runs on int8 tensors (the
emitter is picked by the first input's dtype), and its kernel's in-place rule (inplace.py). The code
generator dispatches on this table, the arena planner gets the rules from `inplace_rules()`, and
`missing_ops()` lists every registry op the backend lacks, with why (missing.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from tessera.ir.dtypes import DType
from tessera.ir.graph import Node
from tessera.ir.ops import (
    activation,
    binary,
    cast,
    clip,
    conv,
    elementwise,
    identity,
    indexing,
    layout,
    linalg,
    logic,
    math_unary,
    normalization,
    pooling,
    quantized,
    quantized_eltwise,
    quantized_nn,
    reduce,
    shape_ops,
    softmax,
    tensor,
    tiling,
)
from tessera.ir.ops.base import Op, all_ops
from tessera.passes.memory.model import InPlaceRule

from . import emit_binary, emit_int8, emit_layout, emit_linalg, emit_logic, emit_tiling, emitters
from .context import Emitter
from .inplace import binary_rule, depthwise_rule, insert_slice_rule, quantize_rule, unary_rule, view_rule
from .missing import MISSING


@dataclass(frozen=True)
class McuKernel:
    """One op's MCU facets: `emit` lowers it, `int8` instead when its first input is int8, `inplace`
    says when its output may overwrite an input (None: never; `why_not_inplace` says why, for an
    Elementwise or View op)."""

    emit: Emitter
    int8: Emitter | None = None
    inplace: InPlaceRule | None = None
    why_not_inplace: str = ""

    def emitter(self, node: Node) -> Emitter:
        if self.int8 is not None and node.inputs and node.inputs[0].dtype is DType.INT8:
            return self.int8
        return self.emit


_COPY = McuKernel(emitters.emit_copy, inplace=view_rule)


def _binary(code: str) -> McuKernel:
    return McuKernel(emitters.binary(code), inplace=binary_rule)


def _unary(code: str) -> McuKernel:
    return McuKernel(emitters.unary(code), inplace=unary_rule)


_CAST = McuKernel(emitters.emit_cast, why_not_inplace="the output's elements may be wider than the input's")

MCU_KERNELS: dict[type[Op], McuKernel] = {
    # data movement
    shape_ops.Reshape: _COPY,
    shape_ops.Flatten: _COPY,
    shape_ops.Squeeze: _COPY,
    shape_ops.Unsqueeze: _COPY,
    identity.Identity: _COPY,
    identity.Dropout: McuKernel(emitters.emit_dropout, inplace=view_rule),
    cast.Cast: _CAST,
    cast.CastLike: _CAST,
    shape_ops.Transpose: McuKernel(emitters.emit_transpose, int8=emit_int8.emit_transpose_i8),
    tensor.Concat: McuKernel(emitters.emit_concat, int8=emit_int8.emit_concat_i8),
    indexing.Gather: McuKernel(emitters.emit_gather),
    tensor.Slice: McuKernel(emit_tiling.emit_slice),
    tiling.InsertSlice: McuKernel(emit_tiling.emit_insert_slice, inplace=insert_slice_rule),
    indexing.GatherND: McuKernel(emit_logic.emit_gather_nd),
    tensor.Split: McuKernel(emit_layout.emit_split),
    layout.DepthToSpace: McuKernel(emit_layout.emit_depth_to_space),
    # booleans and masks (uint8_t)
    logic.And: McuKernel(emit_logic.logic("TK_AND"), inplace=binary_rule),
    logic.Or: McuKernel(emit_logic.logic("TK_OR"), inplace=binary_rule),
    logic.Xor: McuKernel(emit_logic.logic("TK_XOR"), inplace=binary_rule),
    logic.Where: McuKernel(
        emit_logic.emit_where, why_not_inplace="no rule yet picks a float32 value operand (the condition is bool)"
    ),
    logic.IsNaN: McuKernel(emit_logic.emit_isnan, why_not_inplace="the bool output is narrower than its input"),
    # elementwise
    elementwise.Add: _binary("TK_ADD"),
    elementwise.Sub: _binary("TK_SUB"),
    elementwise.Mul: _binary("TK_MUL"),
    elementwise.Div: _binary("TK_DIV"),
    elementwise.Sum: McuKernel(emitters.emit_sum, why_not_inplace="no rule yet picks which of n operands to overwrite"),
    activation.Relu: _unary("TK_RELU"),
    activation.Sigmoid: _unary("TK_SIGMOID"),
    activation.Tanh: _unary("TK_TANH"),
    activation.HardSwish: _unary("TK_HARDSWISH"),
    activation.Gelu: McuKernel(emitters.emit_gelu, inplace=unary_rule),
    math_unary.Erf: _unary("TK_ERF"),
    math_unary.Exp: _unary("TK_EXP"),
    math_unary.Sqrt: _unary("TK_SQRT"),
    math_unary.Neg: _unary("TK_NEG"),
    math_unary.Abs: _unary("TK_ABS"),
    clip.Clip: McuKernel(emitters.emit_clip, int8=emit_int8.emit_clip_i8, inplace=unary_rule),
    activation.LeakyRelu: McuKernel(emitters.emit_leaky_relu, inplace=unary_rule),
    clip.PRelu: McuKernel(emitters.emit_prelu, inplace=unary_rule),
    activation.HardSigmoid: McuKernel(emitters.emit_hard_sigmoid, inplace=unary_rule),
    reduce.ReduceMean: McuKernel(emitters.emit_reduce),
    reduce.ReduceSum: McuKernel(emitters.emit_reduce),
    # normalization
    softmax.Softmax: McuKernel(emitters.emit_softmax, inplace=unary_rule),
    normalization.LayerNormalization: McuKernel(emitters.emit_layernorm, inplace=unary_rule),
    normalization.BatchNormalization: McuKernel(emitters.emit_batchnorm, inplace=unary_rule),
    # pooling
    pooling.MaxPool: McuKernel(emitters.emit_pool, int8=emit_int8.emit_maxpool_i8),
    pooling.AveragePool: McuKernel(emitters.emit_pool),
    pooling.GlobalAveragePool: McuKernel(emitters.emit_global_pool),
    pooling.GlobalMaxPool: McuKernel(emitters.emit_global_pool),
    # convolution and matrix products
    conv.Conv: McuKernel(emit_linalg.emit_conv, inplace=depthwise_rule),
    linalg.Gemm: McuKernel(emit_linalg.emit_gemm),
    linalg.MatMul: McuKernel(emit_linalg.emit_matmul),
    # bit-packed binary (uint32 words of 32 channels' signs)
    binary.PackBits: McuKernel(emit_binary.emit_pack_bits),
    binary.BinaryConv: McuKernel(emit_binary.emit_binary_conv),
    # int8
    quantized_nn.QConv: McuKernel(emit_int8.emit_qconv, inplace=depthwise_rule),
    quantized_nn.QFullyConnected: McuKernel(emit_int8.emit_qfc),
    quantized_nn.QMatMul: McuKernel(emit_int8.emit_qmatmul),
    quantized_eltwise.QAdd: McuKernel(emit_int8.emit_qbinary, inplace=binary_rule),
    quantized_eltwise.QMul: McuKernel(emit_int8.emit_qbinary, inplace=binary_rule),
    quantized_eltwise.QAveragePool: McuKernel(emit_int8.emit_qavgpool),
    quantized.Requantize: McuKernel(emit_int8.emit_requantize, inplace=unary_rule),
    quantized.QuantizeLinear: McuKernel(emit_int8.emit_quantize, inplace=quantize_rule),
    quantized.DequantizeLinear: McuKernel(emit_int8.emit_dequantize, inplace=quantize_rule),
}


def inplace_rules() -> dict[type[Op], InPlaceRule]:
    """The kernels' in-place rules, by op: what `plan_arena(inplace=...)` needs for this target."""
    return {op: k.inplace for op, k in MCU_KERNELS.items() if k.inplace is not None}


def missing_ops() -> dict[type[Op], str]:
    """Every registry op the MCU backend has no kernel for -> why."""
    return {op: MISSING[op] for op in all_ops() if op not in MCU_KERNELS and op in MISSING}
