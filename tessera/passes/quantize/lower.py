"""Lowering: edit a copy of a float graph, through the Rewriter, into int8 ops where calibration allows.

Nodes of the source graph are visited in execution order; the copy is edited at the visited node's
place. Each source value may get a float version (named as in the source) and an int8 version (named
NAME_i8, with its QParams); either is made on demand from the other by DequantizeLinear /
QuantizeLinear, so boundaries appear only where float and int8 ops meet. A rule (rules.py) either
emits the int8 nodes of a source node (which take its node name) or returns the reason the node stays
float; the float nodes that were lowered are erased at the end. Graph inputs and outputs stay float
unless `int8_inputs` / `int8_outputs` ask for int8 ones (same names; their scale and zero point go to
`Graph.io_qparams`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from tessera.errors import PassError
from tessera.ir.dtypes import DType
from tessera.ir.graph import Graph, Node, Value
from tessera.ir.ops.activation import Relu
from tessera.ir.ops.base import Op
from tessera.ir.ops.clip import Clip
from tessera.ir.ops.quantized import DequantizeLinear, QuantizeLinear
from tessera.ir.rewriter import Rewriter
from tessera.passes.quantize.ranges import QParams, qparams, usable_range


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
    src: Graph  # read only: rules look at its nodes, values and uses
    ranges: Mapping[str, tuple[float, float]]  # value name -> calibrated (lo, hi)
    int8_inputs: bool = False
    int8_outputs: bool = False
    dst: Graph = field(init=False)  # the copy being edited
    rw: Rewriter = field(init=False)
    layers: list[QuantizedLayer] = field(default_factory=list)
    float_layers: list[FloatLayer] = field(default_factory=list)
    fused: set[str] = field(default_factory=set)  # names of source nodes absorbed into another
    _reserved: set[str] = field(default_factory=set)
    _copy: dict[int, Value] = field(default_factory=dict)  # source value -> the same value in dst
    _node_copy: dict[int, Node] = field(default_factory=dict)
    _kept: set[int] = field(default_factory=set)  # source nodes kept float
    _at: Node | None = None  # new nodes go before this node of dst (None: after the last)
    _float: dict[int, Value] = field(default_factory=dict)
    _int8: dict[int, tuple[Value, QParams]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.dst = self.src.copy()
        self.rw = Rewriter(self.dst)
        self._reserved = {v.name for v in self.src.values()}  # float versions keep the source names
        self._copy = {id(s): d for s, d in zip(self.src.values(), self.dst.values())}
        self._node_copy = {id(s): d for s, d in zip(self.src.nodes, self.dst.nodes)}
        for v in self.src.inputs:
            p = self.qparams_of(v) if self.int8_inputs and v.users else None
            if p is None:
                continue
            rest = self.fresh(f"{v.name}_float")
            q = self.rw.retype_input(self._copy[id(v)], DType.INT8, (p.scale, p.zero_point), rest)
            self._int8[id(v)] = (q, p)

    # ---- values ----------------------------------------------------------------------------------
    def float_of(self, v: Value) -> Value:
        if id(v) in self._float:
            return self._float[id(v)]
        # a float input, a constant or the output of a node kept float is its own float version
        made = self._dequantize(v) if id(v) in self._int8 else self._copy[id(v)]
        self._float[id(v)] = made
        return made

    def _dequantize(self, v: Value) -> Value:
        """The float version of an int8 value: it takes the place (readers, graph output slot) and the
        name of the source value's float form, whose producer is to be erased."""
        q, p = self._int8[id(v)]
        scale = self.const(f"{v.name}_scale", np.float32(p.scale))
        zp = self.const(f"{v.name}_zero_point", np.int8(p.zero_point))
        out = self.fresh(f"{v.name}_float")
        made = self.add(DequantizeLinear, [q, scale, zp], name=f"{v.name}_dequantize", output_name=out).output
        self.rw.replace_all_uses(self._copy[id(v)], made, take_name=True)
        return made

    def qparams_of(self, v: Value) -> QParams | None:
        """The int8 parameters v has or would get; None when v cannot be int8 (not float, no range, or
        a range no int8 scale can hold: see `usable_range`)."""
        if id(v) in self._int8:
            return self._int8[id(v)][1]
        if v.dtype.value != "float32":
            return None
        if v.data is not None:
            lo, hi = float(v.data.min(initial=0.0)), float(v.data.max(initial=0.0))
        elif v.name in self.ranges:
            lo, hi = self.ranges[v.name]
        else:
            return None
        return qparams(lo, hi) if usable_range(lo, hi) else None

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
            inputs = [self.float_of(v), scale, zp]
            made = self.add(QuantizeLinear, inputs, name=f"{v.name}_quantize", output_name=self.out_name(v)).output
        self._int8[id(v)] = (made, p)
        return made, p

    def has_int8(self, v: Value) -> bool:
        return id(v) in self._int8

    def set_int8(self, v: Value, q: Value, p: QParams) -> None:
        self._int8[id(v)] = (q, p)

    def fresh(self, base: str) -> str:
        """A new value name that no source value has (those are kept for float versions)."""
        name, i = base, 0
        while name in self._reserved or self.dst.has_name(name):
            i += 1
            name = f"{base}_{i}"
        return name

    def const(self, base: str, data: np.ndarray | np.generic) -> Value:
        return self.rw.constant(self.fresh(base), np.asarray(data))

    def out_name(self, v: Value) -> str:
        return self.fresh(f"{v.name}_i8")

    # ---- nodes -----------------------------------------------------------------------------------
    def add(
        self, op: type[Op], inputs: list[Value], attrs: Mapping[str, Any] | None = None, *, name: str, output_name: str
    ) -> Node:
        """A new node at the place of the source node being visited."""
        return self.rw.add(op, inputs, attrs, before=self._at, name=name, output_names=[output_name])

    def emit(self, node: Node, op: type[Op], inputs: list[Value], attrs: Mapping[str, Any], output_name: str) -> Node:
        """The int8 node standing for source `node`: it takes node's name."""
        new = self.add(op, inputs, attrs, name=node.name, output_name=output_name)
        self.rw.take_node_name(new, self._node_copy[id(node)])
        return new

    def visit(self, node: Node, lower: Callable[[Lowering, Node], str | None]) -> None:
        """Lower source `node` by `lower`, or keep it float for the reason `lower` returns."""
        self._at = self._node_copy[id(node)]
        reason = lower(self, node)
        if reason is not None:
            self.copy_float(node, reason)

    def copy_float(self, node: Node, reason: str) -> None:
        copy = self._node_copy[id(node)]
        for i, v in enumerate(node.inputs):
            f = self.float_of(v)
            if copy.inputs[i] is not f:
                self.rw.set_input(copy, i, f)
        self._float.update((id(o), c) for o, c in zip(node.outputs, copy.outputs))
        self._kept.add(id(node))
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
        """Give the graph outputs their final form, then erase the float nodes that were lowered."""
        self._at = None
        for i, v in enumerate(self.src.outputs):
            self._output(i, v)
        self.rw.remove_dead()  # the float nodes that were lowered, and the weights only they read
        lowered = [n for n in self.src.nodes if id(n) not in self._kept]
        alive = [n.name for n in lowered if not self.rw.is_erased(self._node_copy[id(n)])]
        if alive:
            raise PassError(
                f"quantize-int8 on {self.src.name!r}: lowered node(s) {', '.join(alive)} are still read in float; "
                "a rule emitted int8 nodes without giving their readers an int8 or float version (report this)"
            )
        return self.dst

    def _output(self, index: int, v: Value) -> None:
        if not self.int8_outputs or self.qparams_of(v) is None:
            self.float_of(v)  # a lowered output's DequantizeLinear takes its slot and name
            return
        q, p = self.int8_of(v)
        old = q.name
        self.rw.retype_output(self.dst.outputs[index], q, (p.scale, p.zero_point), self.fresh(f"{v.name}_float"))
        if q.name != old:  # the caller reads the output under its float name
            self.layers = [replace(x, int8_value=q.name) if x.int8_value == old else x for x in self.layers]


def activation_bounds(p: QParams, lo: float, hi: float) -> tuple[int, int]:
    """A fused activation's real bounds as int8 clamp bounds at the output's parameters."""
    q_lo = -128 if not np.isfinite(lo) else int(np.clip(p.zero_point + round(lo / p.scale), -128, 127))
    q_hi = 127 if not np.isfinite(hi) else int(np.clip(p.zero_point + round(hi / p.scale), -128, 127))
    return q_lo, max(q_lo, q_hi)
