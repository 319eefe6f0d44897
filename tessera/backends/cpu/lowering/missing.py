"""The registry ops the CPU (TVM) target does not lower, each with why. tests/backends/cpu/
test_cpu_coverage.py checks that every registry op is in the lowering table (RULES) or here, never
both."""

from __future__ import annotations

from tessera.ir.ops import binary, quantized, quantized_eltwise, quantized_nn
from tessera.ir.ops.base import Op

_INT8 = (
    "an op of quantize-int8's fixed-point int8 graph, which has no TVM lowering yet (docs/cpu.md): compile the "
    "float graph for the cpu target, or the int8 graph for the mcu or reference target"
)

MISSING: dict[type[Op], str] = dict.fromkeys(
    (
        quantized.QuantizeLinear,
        quantized.DequantizeLinear,
        quantized.Requantize,
        quantized_eltwise.QAdd,
        quantized_eltwise.QMul,
        quantized_eltwise.QAveragePool,
        quantized_nn.QConv,
        quantized_nn.QFullyConnected,
        quantized_nn.QMatMul,
    ),
    _INT8,
)
MISSING[binary.BinarySign] = "the float form the binarize pass trains; run pack-binary, which turns it into PackBits"
