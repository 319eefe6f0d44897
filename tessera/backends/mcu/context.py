"""What emitters share while turning one graph into C: the arena plan, C names, and the constant
tables (weights, geometry arrays) that go to flash."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from tessera.ir.dtypes import DType
from tessera.ir.graph import Node, Value
from tessera.ir.ops._spatial import Window
from tessera.passes.memory.arena import ArenaPlan

from .names import CNames

C_TYPES = {
    DType.FLOAT32: "float",
    DType.INT8: "int8_t",
    DType.INT16: "int16_t",
    DType.INT32: "int32_t",
    DType.INT64: "int64_t",
    DType.UINT8: "uint8_t",
    DType.UINT32: "uint32_t",  # bit-packed binary words (PackBits, BinaryConv)
    DType.BOOL: "uint8_t",
}


class Unsupported(Exception):
    """An emitter cannot lower this node; the message says why (collected into one TargetError)."""


@dataclass
class Table:
    """One const array in flash."""

    ident: str
    ctype: str
    data: np.ndarray
    comment: str


@dataclass
class EmitContext:
    plan: ArenaPlan
    names: CNames = field(default_factory=lambda: CNames("tessera_"))
    tables: list[Table] = field(default_factory=list)
    _const_ids: dict[str, str] = field(default_factory=dict)
    caller_inputs: dict[str, int] = field(default_factory=dict)  # input name -> index, read in place

    # ---- tensors ---------------------------------------------------------------------------------
    def ptr(self, value: Value, dtype: DType | None = DType.FLOAT32) -> str:
        """A C expression for the tensor's first element: an arena slot or a weight array."""
        if dtype is not None and value.dtype is not dtype:
            raise Unsupported(f"tensor {value.name!r} is {value.dtype.value}, the kernel needs {dtype.value}")
        if value.is_constant:
            return self.const(value)
        ctype = C_TYPES.get(value.dtype)
        if ctype is None:
            raise Unsupported(f"tensor {value.name!r} has dtype {value.dtype.value}, which the MCU backend lacks")
        if value.name in self.caller_inputs:
            return f"(({ctype} *)tessera_caller_inputs[{self.caller_inputs[value.name]}])"
        return f"TESSERA_AT({ctype}, {self.plan.offsets[value.name]}u)"

    def aliased(self, node: Node) -> bool:
        """True when the plan writes this node's output over one of its inputs (in place)."""
        return bool(node.outputs) and node.outputs[0].name in self.plan.aliases

    def workspace(self, node: Node, ctype: str) -> str:
        """A C pointer to the node's in-place workspace slot in the arena."""
        offset = self.plan.workspace_offset(node.name)
        if offset is None:
            raise Unsupported(f"the arena plan gives node {node.name!r} no workspace for its in-place kernel")
        return f"TESSERA_AT({ctype}, {offset}u)"

    def const(self, value: Value) -> str:
        assert value.data is not None
        if value.name not in self._const_ids:
            self._const_ids[value.name] = self.table("w", value.name, value.data, value.dtype)
        return self._const_ids[value.name]

    def table(self, kind: str, hint: str, data: np.ndarray, dtype: DType) -> str:
        """Add a const array (weights or geometry) and return its C name."""
        ctype = C_TYPES.get(dtype)
        if ctype is None:
            raise Unsupported(f"constant {hint!r} has dtype {dtype.value}, which the MCU backend lacks")
        ident = self.names.get(kind, f"{hint}#{len(self.tables)}")
        self.tables.append(Table(ident, ctype, np.ascontiguousarray(data, dtype=dtype.numpy()), hint))
        return ident

    def ints(self, hint: str, values: list[int] | tuple[int, ...]) -> str:
        return self.table("i", hint, np.asarray(values or [0], dtype=np.int32), DType.INT32)

    def weight(self, hint: str, data: np.ndarray) -> str:
        """A derived float32 weight array (a transposed matrix, folded batch-norm factors)."""
        return self.table("w", hint, np.asarray(data, dtype=np.float32), DType.FLOAT32)


def numel(shape: tuple[int, ...]) -> int:
    return math.prod(shape)


def contiguous_strides(shape: tuple[int, ...]) -> list[int]:
    strides, step = [], 1
    for d in reversed(shape):
        strides.append(step)
        step *= d
    return strides[::-1]


def broadcast_strides(shape: tuple[int, ...], out: tuple[int, ...]) -> list[int]:
    """Element strides of a tensor of `shape` read as `out` (numpy broadcasting): 0 where broadcast."""
    padded = (1,) * (len(out) - len(shape)) + tuple(shape)
    return [0 if d == 1 and o != 1 else s for d, o, s in zip(padded, out, contiguous_strides(padded))]


def collapse(dims: list[int], *strides: list[int]) -> tuple[list[int], list[list[int]]]:
    """Merge neighbouring axes that every operand walks contiguously, dropping size-1 axes."""
    keep = [i for i, d in enumerate(dims) if d != 1]
    dims = [dims[i] for i in keep]
    strides_k = [[s[i] for i in keep] for s in strides]
    out_dims: list[int] = []
    out_strides: list[list[int]] = [[] for _ in strides]
    for i, d in enumerate(dims):
        mergeable = out_dims and all(s[i] * d == o[-1] for s, o in zip(strides_k, out_strides))
        if mergeable:
            out_dims[-1] *= d
            for s, o in zip(strides_k, out_strides):
                o[-1] = s[i]
        else:
            out_dims.append(d)
            for s, o in zip(strides_k, out_strides):
                o.append(s[i])
    return out_dims, out_strides


def node_label(node: Node) -> str:
    return f"{node.op.name} {node.name}"


def float_literal(x: float) -> str:
    """A float32 literal that reads back exactly."""
    v = float(np.float32(x))
    if np.isnan(v):
        return '__builtin_nanf("")'
    if np.isinf(v):
        return "__builtin_inff()" if v > 0 else "(-__builtin_inff())"
    return f"{v.hex()}f"


def plane_geometry(x: Value, win: Window) -> dict[str, int]:
    """The 2-D window of a 1-D or 2-D spatial op (1-D runs as height 1)."""
    if len(win.kernel) == 1:
        win = Window((1, *win.kernel), (1, *win.strides), (1, *win.dilations), (0, *win.pads_begin),
                     (0, *win.pads_end), (1, *win.out))  # fmt: skip
    if len(win.kernel) != 2:
        raise Unsupported(f"{len(win.kernel)}-D windows are not supported (1-D and 2-D are)")
    h, w = (1, x.shape[2]) if x.type.rank == 3 else x.shape[2:4]
    return {
        "h": h, "w": w, "oh": win.out[0], "ow": win.out[1], "kh": win.kernel[0], "kw": win.kernel[1],
        "sh": win.strides[0], "sw": win.strides[1], "dh": win.dilations[0], "dw": win.dilations[1],
        "ph": win.pads_begin[0], "pw": win.pads_begin[1], "pe_h": win.pads_end[0], "pe_w": win.pads_end[1],
    }  # fmt: skip


Emitter = Callable[[Node, EmitContext], str]
