"""The MCU kernels' in-place rules: when a kernel may write its output over an input.

The kernel table (table.py) gives each op its rule; `tessera.backends.mcu.inplace_rules()` hands them
to the arena planner (`plan_arena(inplace=rules)`), which aliases a pair only where the node is the
input's last reader.
Each rule below holds because of how its kernel walks memory (the emitters in emitters.py and
emit_int8.py learn that their output aliases an input from `EmitContext.aliased`):

- elementwise kernels (unary activations, Clip, LeakyRelu, PRelu, HardSigmoid, BatchNormalization's
  channel affine, Requantize) compute out[i] from x[i] alone and read x[i] before writing out[i];
- binary kernels (Add/Sub/Mul/Div, QAdd/QMul) do the same for the operand that has the output's
  shape and dtype (its index equals the output's); the other operand may broadcast;
- Softmax and LayerNormalization read a whole row (or strided column) before writing it, then
  read back only what they wrote;
- QuantizeLinear (float32 -> int8) writes byte i after reading float element i, and byte i lies in
  float element i / 4 <= i, already read; DequantizeLinear (int8 -> float32) never qualifies;
- Reshape / Flatten / Squeeze / Unsqueeze / Identity / Dropout: the same bytes, so no copy at all;
- depthwise Conv / QConv (group == C_in == C_out): one output plane into a workspace of Ho*Wo
  elements, then copied over output plane c, which only overlaps input planes <= c (already
  consumed) when Ho*Wo <= H*W; any stride, padding and dilation;
- InsertSlice(dest, src): its output over dest (the same bytes); the one-input form creates it.
"""

from __future__ import annotations

import math

from tessera.ir.graph import Node, Value
from tessera.passes.memory.model import InPlace


def _same(v: Value, out: Value) -> bool:
    return not v.is_constant and v.type == out.type


def _extra_outputs_unused(node: Node) -> bool:
    return all(not o.users for o in node.outputs[1:])


def unary_rule(node: Node) -> InPlace | None:
    """out[i] from x[i] (or a row read whole before it is written): input 0 when it has the output's type."""
    if not node.inputs or not _extra_outputs_unused(node) or not _same(node.inputs[0], node.outputs[0]):
        return None
    return InPlace(0)


def binary_rule(node: Node) -> InPlace | None:
    """The first operand with the output's shape and dtype (the other may broadcast)."""
    out = node.outputs[0]
    return next((InPlace(i) for i, v in enumerate(node.inputs[:2]) if _same(v, out)), None)


def view_rule(node: Node) -> InPlace | None:
    """Same bytes, another shape: the output is the input."""
    x, out = node.inputs[0], node.outputs[0]
    if x.is_constant or x.type.nbytes != out.type.nbytes or not _extra_outputs_unused(node):
        return None
    return InPlace(0)


def quantize_rule(node: Node) -> InPlace | None:
    """float32 -> int8 (or same-size) in a forward loop: output element i ends inside input elements <= i."""
    x, out = node.inputs[0], node.outputs[0]
    if x.is_constant or x.shape != out.shape or out.dtype.itemsize > x.dtype.itemsize:
        return None
    return InPlace(0)


def depthwise_rule(node: Node) -> InPlace | None:
    """Depthwise Conv / QConv, NC(H)W, when an output plane is no larger than an input plane."""
    x, w, out = node.inputs[0], node.inputs[1], node.outputs[0]
    if x.is_constant or not w.is_constant or x.type.rank not in (3, 4) or x.dtype is not out.dtype:
        return None
    c, m = x.shape[1], out.shape[1]
    if not node.attrs.get("group") == c == m:
        return None
    plane, out_plane = math.prod(x.shape[2:]), math.prod(out.shape[2:])
    if out_plane > plane or x.shape[0] != out.shape[0]:
        return None
    return InPlace(0, workspace_bytes=out_plane * out.dtype.itemsize)


def insert_slice_rule(node: Node) -> InPlace | None:
    """InsertSlice(dest, src) writes its output over dest (same bytes); the one-input form creates it."""
    return InPlace(0) if len(node.inputs) == 2 else None
