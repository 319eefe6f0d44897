"""Torch kernels of the quantization boundaries (quantized.py: QuantizeLinear, DequantizeLinear,
Requantize) and the int8 elementwise ops (quantized_eltwise.py: QAdd, QMul).

Each kernel has two modes (`Call.simulate`): exact, bit for bit as the reference in integers
(fixed_point.py), and the float simulation that trains (fake_quant.py). The convolutions, products
and the average pool are in ops_quant_nn.py.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from tessera.backends.torch import ops_quant_nn
from tessera.backends.torch.fake_quant import codes, learned_stage, real_multiplier, simulate_mbqm, simulate_stage
from tessera.backends.torch.fixed_point import mbqm, requantize
from tessera.backends.torch.kernel import Call, TorchOp, op, out_dtype
from tessera.backends.torch.ste import round_ste
from tessera.ir.ops import quantized, quantized_eltwise
from tessera.ir.ops._util import normalize_axis
from tessera.ir.ops.base import Op

Ts = Sequence[torch.Tensor]
_SCALE, _ZERO_POINT = 1, 2  # QuantizeLinear / DequantizeLinear parameter inputs


def _per_axis(param: torch.Tensor, c: Call, position: int) -> torch.Tensor:
    """A scale or zero point shaped to broadcast along the op's `axis` of the data (as the
    reference's `_per_axis`): scalars and single values of a scalar input pass as scalars."""
    data, ptype = c.inputs[0], c.inputs[position]
    if ptype.rank == 0 or (ptype.numel == 1 and data.rank == 0):
        return param.reshape(())
    layout = [1] * data.rank
    layout[normalize_axis(c.attrs["axis"], data.rank)] = ptype.numel
    return param.reshape(layout)


def _quantize_linear(x: Ts, c: Call) -> list[torch.Tensor]:
    """saturate(round_half_even(x / scale) + zero_point), divided in float32 as the reference."""
    scale = _per_axis(x[_SCALE].to(torch.float32), c, _SCALE)
    info = torch.iinfo(out_dtype(c))
    ratio = x[0].to(torch.float32) / scale
    if c.simulate:
        zero = _per_axis(x[_ZERO_POINT].to(torch.float32), c, _ZERO_POINT) if len(x) == 3 else 0.0
        return [torch.clamp(round_ste(ratio) + zero, info.min, info.max)]
    zp = _per_axis(x[_ZERO_POINT].to(torch.float64), c, _ZERO_POINT) if len(x) == 3 else 0.0
    q = torch.round(ratio).to(torch.float64) + zp
    return [torch.clamp(q, info.min, info.max).to(out_dtype(c))]


def _dequantize_linear(x: Ts, c: Call) -> list[torch.Tensor]:
    """(x - zero_point) * scale in the scale's dtype; exact mode centres in int64 as the reference."""
    scale = _per_axis(x[_SCALE], c, _SCALE)
    if c.simulate:
        zero = _per_axis(x[_ZERO_POINT].to(torch.float32), c, _ZERO_POINT) if len(x) == 3 else 0.0
        centered = codes(x[0]) - zero
    else:
        zp = _per_axis(x[_ZERO_POINT].to(torch.int64), c, _ZERO_POINT) if len(x) == 3 else 0
        centered = x[0].to(torch.int64) - zp
    return [centered.to(scale.dtype) * scale]


def _requantize(x: Ts, c: Call) -> list[torch.Tensor]:
    a = c.attrs
    if c.simulate and c.scales is not None:
        centered = codes(x[0]) - a["x_zero_point"]
        return [learned_stage(centered, a, real_multiplier(c.scales, a, centered, None))]
    if c.simulate:
        return [simulate_stage(codes(x[0]) - a["x_zero_point"], a)]
    return [requantize(x[0].to(torch.int64) - a["x_zero_point"], a)]


def _qadd(x: Ts, c: Call) -> list[torch.Tensor]:
    """TFLite ADD: both operands to a common scale with `left_shift` bits of headroom, summed in
    int32 and requantized."""
    a = c.attrs
    if c.simulate and c.scales is not None:  # learned scales: the real rescale of each operand
        s = c.scales
        terms = [(codes(t) - a[f"{p}_zero_point"]).to(torch.float64) * s[f"{p}_scale"] for t, p in zip(x, "ab")]
        return [learned_stage(terms[0] + terms[1], a, 1.0 / s["y_scale"])]
    if c.simulate:
        sim = [(codes(t) - a[f"{p}_zero_point"]) * 2.0 ** a["left_shift"] for t, p in zip(x, "ab")]
        scaled = [simulate_mbqm(t, [a[f"{p}_multiplier"]], [a[f"{p}_shift"]]) for t, p in zip(sim, "ab")]
        return [simulate_stage(scaled[0] + scaled[1], a)]
    terms = []
    for t, p in zip(x, "ab"):
        shifted = (t.to(torch.int64) - a[f"{p}_zero_point"]) << a["left_shift"]
        terms.append(mbqm(shifted, [a[f"{p}_multiplier"]], [a[f"{p}_shift"]]))
    return [requantize(terms[0] + terms[1], a)]


def _qmul(x: Ts, c: Call) -> list[torch.Tensor]:
    a = c.attrs
    if c.simulate:
        product = (codes(x[0]) - a["a_zero_point"]) * (codes(x[1]) - a["b_zero_point"])
        if c.scales is not None:
            return [learned_stage(product, a, real_multiplier(c.scales, a, product, None))]
        return [simulate_stage(product, a)]
    product = (x[0].to(torch.int64) - a["a_zero_point"]) * (x[1].to(torch.int64) - a["b_zero_point"])
    return [requantize(product, a)]


KERNELS: dict[type[Op], TorchOp] = {
    quantized.QuantizeLinear: op(_quantize_linear, frozen=(_SCALE, _ZERO_POINT)),
    quantized.DequantizeLinear: op(_dequantize_linear, frozen=(_SCALE, _ZERO_POINT)),
    quantized.Requantize: op(_requantize),
    quantized_eltwise.QAdd: op(_qadd),
    quantized_eltwise.QMul: op(_qmul),
    **ops_quant_nn.KERNELS,
}
