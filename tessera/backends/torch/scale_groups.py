"""Which int8 tensors of a quantized graph share one (scale, zero point): the scale groups that
quantization-aware training with learned scales gives one parameter each (scales.py).

Every int8 tensor gets its scale from its producer (y_scale of the int8 compute ops, QAveragePool's
`scale`, QuantizeLinear's scale constant). Ops that move codes unchanged (data movement, MaxPool,
the int8 Clip of a ReLU, Concat, whose inputs the quantize pass brings to the output's parameters)
join their inputs and outputs into one group, as does QAveragePool (input and output share `scale`),
and a Q/DQ scale constant joins the tensor it quantizes or dequantizes. A group is frozen (keeps its
scale) when it touches anything whose meaning a new scale would change unseen: a graph input or
output (its callers quantize and dequantize with `Graph.io_qparams`), an op not listed here, a
per-axis or shared Q/DQ scale constant, or readers that disagree on the scale.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tessera.ir.dtypes import DType
from tessera.ir.graph import Graph, Node, Value
from tessera.ir.ops.base import Op
from tessera.ir.ops.clip import Clip
from tessera.ir.ops.identity import Identity
from tessera.ir.ops.pooling import MaxPool
from tessera.ir.ops.quantized import DequantizeLinear, QuantizeLinear, Requantize
from tessera.ir.ops.quantized_eltwise import QAdd, QAveragePool, QMul
from tessera.ir.ops.quantized_nn import QConv, QFullyConnected, QMatMul
from tessera.ir.ops.shape_ops import Flatten, Reshape, Squeeze, Transpose, Unsqueeze
from tessera.ir.ops.tensor import Concat, Slice, Split

# op -> (attribute, input position) of every input scale it reads as an attribute
READS: dict[type[Op], tuple[tuple[str, int], ...]] = {
    QConv: (("x_scale", 0),),
    QFullyConnected: (("x_scale", 0),),
    QMatMul: (("a_scale", 0), ("b_scale", 1)),
    QAdd: (("a_scale", 0), ("b_scale", 1)),
    QMul: (("a_scale", 0), ("b_scale", 1)),
    Requantize: (("x_scale", 0),),
    QAveragePool: (("scale", 0),),
}
PRODUCES = frozenset({QConv, QFullyConnected, QMatMul, QAdd, QMul, Requantize})  # y_scale of the output
PASSTHROUGH = frozenset({MaxPool, Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Identity, Clip, Slice, Split})
_Q_SCALE = 1  # scale input of QuantizeLinear / DequantizeLinear
_REL_TOL = 1e-6  # readers of one group agree on its scale to float32 rounding


@dataclass(frozen=True)
class ScaleGroup:
    """One scale shared by int8 tensors (and the Q/DQ scale constants that hold it)."""

    name: str  # its first tensor in graph order
    values: tuple[str, ...]  # the tensors and scale constants in it
    scale: float
    frozen: str | None = None  # why it keeps its scale, or None when it learns


@dataclass
class ScaleGroups:
    """A graph's scale groups and every place that reads or writes one of them."""

    groups: list[ScaleGroup]
    slots: dict[str, dict[str, int]]  # node name -> scale attribute -> group index
    constants: dict[str, int]  # Q/DQ scale constant -> group index
    biases: dict[str, tuple[str, int]] = field(default_factory=dict)  # int32 bias -> (node, x group)

    @property
    def learnable(self) -> list[int]:
        return [i for i, g in enumerate(self.groups) if g.frozen is None]


class _Union:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, a: str) -> str:
        self.parent.setdefault(a, a)
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def join(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)


def _int8(v: Value) -> bool:
    return v.dtype == DType.INT8 and v.data is None


def _scalar_constant(v: Value) -> bool:
    return v.data is not None and v.type.numel == 1 and v.dtype.is_float


def scale_groups(graph: Graph) -> ScaleGroups:
    """Union the int8 tensors of `graph` into scale groups; see the module docstring."""
    union = _Union()
    where: dict[str, list[tuple[str, float]]] = {}  # tensor -> (who says, the scale it says)
    frozen: dict[str, str] = {}  # tensor or constant -> why its group is frozen
    slots: dict[str, dict[str, str]] = {}
    for node in graph.nodes:
        _visit(node, union, where, frozen, slots)
    for v in [*graph.inputs, *graph.outputs]:
        if v.dtype == DType.INT8:
            frozen.setdefault(v.name, f"graph {'input' if v in graph.inputs else 'output'} {v.name!r}")
            union.find(v.name)
    return _collect(graph, union, where, frozen, slots)


def _visit(
    node: Node,
    union: _Union,
    where: dict[str, list[tuple[str, float]]],
    frozen: dict[str, str],
    slots: dict[str, dict[str, str]],
) -> None:
    op, a = node.op, node.attrs
    if op in READS:
        mine = slots.setdefault(node.name, {})
        for attr, pos in READS[op]:
            x = node.inputs[pos].name
            union.find(x)
            mine[attr] = x
            where.setdefault(x, []).append((f"{node.name}.{attr}", float(a[attr])))
        if op in PRODUCES:
            mine["y_scale"] = node.output.name
            where.setdefault(node.output.name, []).append((f"{node.name}.y_scale", float(a["y_scale"])))
        if op is QAveragePool:
            union.join(node.output.name, node.inputs[0].name)
        return
    if op in (QuantizeLinear, DequantizeLinear):
        tensor = node.output if op is QuantizeLinear else node.inputs[0]
        scale = node.inputs[_Q_SCALE]
        union.find(tensor.name)
        if tensor.dtype != DType.INT8 or not _scalar_constant(scale) or len(scale.users) != 1:
            frozen.setdefault(tensor.name, f"{op.name} {node.name!r} has a per-axis, shared or non-constant scale")
            return
        union.join(scale.name, tensor.name)
        where.setdefault(tensor.name, []).append((scale.name, float(np.asarray(scale.data).reshape(()))))
        return
    data = [v for v in node.inputs if _int8(v)]
    outs = [v for v in node.outputs if v.dtype == DType.INT8]
    if op in PASSTHROUGH and data and data[0] is node.inputs[0]:
        for v in outs:
            union.join(v.name, data[0].name)
        return
    if op is Concat and data and len(data) == len(node.inputs):
        for v in [*data[1:], *outs]:
            union.join(v.name, data[0].name)
        return
    for v in [*data, *outs]:
        union.find(v.name)
        frozen.setdefault(v.name, f"{op.name} {node.name!r} reads or writes it (no learned-scale rule)")


def _collect(
    graph: Graph,
    union: _Union,
    where: dict[str, list[tuple[str, float]]],
    frozen: dict[str, str],
    slots: dict[str, dict[str, str]],
) -> ScaleGroups:
    members: dict[str, list[str]] = {}
    order = [v.name for v in graph.values()]
    for name in order:
        if name in union.parent:
            members.setdefault(union.find(name), []).append(name)
    groups: list[ScaleGroup] = []
    index: dict[str, int] = {}
    for names in members.values():
        said = [s for n in names for s in where.get(n, [])]
        tensors = [n for n in names if n not in graph.constants]
        if not said:
            continue  # int8 tensors whose scale nobody states (e.g. integer data): nothing to learn
        scale = said[0][1]
        why = next((frozen[n] for n in names if n in frozen), None)
        if why is None and any(abs(s - scale) > _REL_TOL * scale for _, s in said):
            why = "its readers disagree on the scale: " + ", ".join(f"{w} = {s:.6g}" for w, s in said[:4])
        for n in names:
            index[n] = len(groups)
        groups.append(ScaleGroup((tensors or names)[0], tuple(names), scale, why))
    by_node = {node: {attr: index[v] for attr, v in attrs.items() if v in index} for node, attrs in slots.items()}
    consts = {n: index[n] for n in graph.constants if n in index}
    biases = {}
    for node in graph.nodes:
        if node.op in (QConv, QFullyConnected) and len(node.inputs) == 3 and node.inputs[2].data is not None:
            biases[node.inputs[2].name] = (node.name, by_node[node.name]["x_scale"])
    return ScaleGroups(groups, {k: v for k, v in by_node.items() if v}, consts, biases)
