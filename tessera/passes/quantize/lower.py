"""Lowering: rebuild a float graph with int8 ops where calibration allows.

Nodes are visited in execution order. Each value of the source graph may get a float version
(named as in the source) and an int8 version (named NAME_i8, with its QParams); either is made on
demand from the other by DequantizeLinear / QuantizeLinear, so boundaries appear only where float
and int8 ops meet. Graph inputs and outputs stay float unless `int8_inputs` / `int8_outputs` ask
for int8 ones (same names; their scale and zero point go to `Graph.io_qparams`). A rule (rules.py)
either emits int8 nodes or returns the reason the node stays float.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from tessera.ir.dtypes import DType
from tessera.ir.graph import Graph, Node, Value
from tessera.ir.ops.activation import Relu
from tessera.ir.ops.clip import Clip
from tessera.ir.ops.quantized import DequantizeLinear, QuantizeLinear
from tessera.passes.quantize.ranges import QParams, qparams


@dataclass(frozen=True)
class QuantizedLayer:
    """One source node (plus any fused activation) now computed in int8."""

    name: str
    op: str  # the source op, e.g. Conv
    int8_op: str  # e.g. QConv
    output: str  # source value name of the layer's (post-activation) output
    int8_value: str  # its int8 version in the quantized graph
    scale: float
    zero_point: int
    fused: str | None = None  # the fused activation node, if any
    weight_scale_min: float | None = None
    weight_scale_max: float | None = None


@dataclass(frozen=True)
class FloatLayer:
    name: str
    op: str
    reason: str


@dataclass
class Lowering:
    src: Graph
    ranges: Mapping[str, tuple[float, float]]  # value name -> calibrated (lo, hi)
    int8_inputs: bool = False
    int8_outputs: bool = False
    dst: Graph = field(init=False)
    layers: list[QuantizedLayer] = field(default_factory=list)
    float_layers: list[FloatLayer] = field(default_factory=list)
    fused: set[str] = field(default_factory=set)  # names of source nodes absorbed into another
    _reserved: set[str] = field(default_factory=set)
    _float: dict[int, Value] = field(default_factory=dict)
    _int8: dict[int, tuple[Value, QParams]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.dst = Graph(self.src.name)
        self._reserved = {v.name for v in self.src.values()}  # float versions keep the source names
        for v in self.src.inputs:
            p = self.qparams_of(v) if self.int8_inputs and v.users else None
            if p is None:
                self._float[id(v)] = self.dst.add_input(v.name, v.type)
                continue
            self._int8[id(v)] = (self.dst.add_input(v.name, v.type.with_dtype(DType.INT8)), p)
            self.dst.io_qparams[v.name] = (p.scale, p.zero_point)

    # ---- values ----------------------------------------------------------------------------------
    def float_of(self, v: Value) -> Value:
        if id(v) in self._float:
            return self._float[id(v)]
        if v.data is not None:
            made = self.dst.add_constant(v.name, v.data)
        else:
            q, p = self._int8[id(v)]
            scale = self.const(f"{v.name}_scale", np.float32(p.scale))
            zp = self.const(f"{v.name}_zero_point", np.int8(p.zero_point))
            name = v.name if v.name not in self.dst._names else self.fresh(f"{v.name}_float")
            made = self.dst.add_node(
                DequantizeLinear, [q, scale, zp], name=f"{v.name}_dequantize", output_names=[name]
            ).output
        self._float[id(v)] = made
        return made

    def qparams_of(self, v: Value) -> QParams | None:
        """The int8 parameters v has or would get; None when v cannot be int8 (not float, no range)."""
        if id(v) in self._int8:
            return self._int8[id(v)][1]
        if v.dtype.value != "float32":
            return None
        if v.data is not None:
            return qparams(float(v.data.min(initial=0.0)), float(v.data.max(initial=0.0)))
        if v.name not in self.ranges:
            return None
        return qparams(*self.ranges[v.name])

    def int8_of(self, v: Value) -> tuple[Value, QParams]:
        if id(v) in self._int8:
            return self._int8[id(v)]
        p = self.qparams_of(v)
        assert p is not None, f"{v.name} has no int8 parameters"  # rules check qparams_of first
        if v.data is not None:
            made = self.const(f"{v.name}_i8", p.quantize(v.data))
        else:
            scale = self.const(f"{v.name}_scale", np.float32(p.scale))
            zp = self.const(f"{v.name}_zero_point", np.int8(p.zero_point))
            made = self.dst.add_node(
                QuantizeLinear,
                [self.float_of(v), scale, zp],
                name=f"{v.name}_quantize",
                output_names=[self.fresh(f"{v.name}_i8")],
            ).output
        self._int8[id(v)] = (made, p)
        return made, p

    def set_int8(self, v: Value, q: Value, p: QParams) -> None:
        self._int8[id(v)] = (q, p)

    def fresh(self, base: str) -> str:
        """A new value name that no source value has (those are kept for float versions)."""
        name, i = base, 0
        while name in self._reserved or name in self.dst._names:
            i += 1
            name = f"{base}_{i}"
        return name

    def const(self, base: str, data: np.ndarray) -> Value:
        return self.dst.add_constant(self.fresh(base), data)

    def out_name(self, v: Value) -> str:
        return self.fresh(f"{v.name}_i8")

    # ---- nodes -----------------------------------------------------------------------------------
    def copy_float(self, node: Node, reason: str) -> None:
        inputs = [self.float_of(v) for v in node.inputs]
        new = self.dst.add_node(
            node.op, inputs, node.attrs, name=node.name, output_names=[o.name for o in node.outputs]
        )
        self._float.update((id(o), n) for o, n in zip(node.outputs, new.outputs))
        self.float_layers.append(FloatLayer(node.name, node.op.name, reason))

    def fusable_activation(self, v: Value) -> tuple[Node, float, float] | None:
        """The ReLU / ReLU6 / Clip that alone reads `v` (not a graph output), with its bounds."""
        if len(v.users) != 1 or v in self.src.outputs:
            return None
        user = v.users[0]
        if user.op is Relu:
            return user, 0.0, np.inf
        if user.op is Clip:
            lo, hi = user.attrs["min"], user.attrs["max"]
            return user, -np.inf if lo is None else lo, np.inf if hi is None else hi
        return None

    def finish(self) -> Graph:
        self.dst.outputs = [self._output(v) for v in self.src.outputs]
        return self.dst

    def _output(self, v: Value) -> Value:
        if not self.int8_outputs or self.qparams_of(v) is None:
            return self.float_of(v)
        q, p = self.int8_of(v)
        if q.producer is not None and q.name != v.name and v.name not in self.dst._names:
            old = q.name
            self.dst.rename(q, v.name)  # the caller reads the output under its float name
            self.layers = [replace(x, int8_value=v.name) if x.int8_value == old else x for x in self.layers]
        self.dst.io_qparams[q.name] = (p.scale, p.zero_point)
        return q


def activation_bounds(p: QParams, lo: float, hi: float) -> tuple[int, int]:
    """A fused activation's real bounds as int8 clamp bounds at the output's parameters."""
    q_lo = -128 if not np.isfinite(lo) else int(np.clip(p.zero_point + round(lo / p.scale), -128, 127))
    q_hi = 127 if not np.isfinite(hi) else int(np.clip(p.zero_point + round(hi / p.scale), -128, 127))
    return q_lo, max(q_lo, q_hi)
