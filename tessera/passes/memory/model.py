"""The memory model schedulers optimise: liveness with per-op workspace, an optional in-place rule,
and optionally the constants.

- Liveness (as in tessera.ir.liveness): while node k runs, memory is every activation tensor live at
  its step: k's inputs, k's outputs, and every earlier tensor still awaiting a reader (graph inputs
  from step 0, graph outputs to the end).
- Workspace: `workspace(node) -> bytes` adds scratch memory that exists only while that node runs.
- In place (HMCOS's rule, wzh99/HMCOS src/sched/life.cpp `OverlapInput`): an elementwise or
  reinterpreting (reshape-like) node with one output may write it over its first non-constant input
  of the output's byte size, when that node is the input's last reader; the input then stops counting
  at that step. The peak is then HMCOS's `EstimatePeak` (docs/scheduling.md, "The metric vs HMCOS's").
- Constants: excluded unless `include_constants`, then every constant counts at every step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tessera.ir.graph import Graph, Node, Value
from tessera.ir.liveness import Lifetime, MemoryProfile, profile

# HMCOS's elementwise list (ops Tessera has), and the ops that only reinterpret their input's bytes.
_EW = (
    "Abs Add And Neg Mul Exp Div Ceil Not LeakyRelu Elu Equal Floor Greater HardSigmoid Selu Less PRelu "
    "Log Or Reciprocal Pow Relu Sigmoid Softplus Softsign Sqrt Sub Tanh Xor Acos Asin Atan Cos Sin Tan "
    "Sinh Cosh Asinh Acosh Atanh Sign Erf Mod ThresholdedRelu BitShift Round Celu LessOrEqual "
    "GreaterOrEqual HardSwish Clip"
)
ELEMENTWISE_OPS = frozenset(_EW.split(" "))
RESHAPE_OPS = frozenset({"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity"})


@dataclass(frozen=True)
class MemoryModel:
    """Which bytes count. The default is the plain liveness peak of tessera.ir.liveness."""

    inplace: bool = False
    include_constants: bool = False
    workspace: Callable[[Node], int] | None = None

    def workspace_of(self, node: Node) -> int:
        return int(self.workspace(node)) if self.workspace is not None else 0

    def alias_input(self, node: Node) -> Value | None:
        """The input `node` may overwrite in place (if it is that input's last reader), or None."""
        if not self.inplace or len(node.outputs) != 1:
            return None
        if node.op.name not in ELEMENTWISE_OPS and node.op.name not in RESHAPE_OPS:
            return None
        out = node.outputs[0]
        return next((v for v in node.inputs if not v.is_constant and v.type.nbytes == out.type.nbytes), None)


PLAIN = MemoryModel()
HMCOS = MemoryModel(inplace=True)


def model_lifetimes(graph: Graph, order: Sequence[Node] | None = None, model: MemoryModel = PLAIN) -> list[Lifetime]:
    """Every counted buffer as a Lifetime under `model`: activations (an input overwritten in place
    ends one step before its last reader), one `<workspace:NODE>` span per node with workspace, and
    with `include_constants` one span per constant over all steps."""
    nodes = list(graph.nodes if order is None else order)
    step = {id(n): i for i, n in enumerate(nodes)}
    end = max(len(nodes) - 1, 0)
    outputs = {id(v) for v in graph.outputs}
    aliased_by = {}
    for n in nodes:
        v = model.alias_input(n)
        if v is not None:
            aliased_by[id(v)] = n

    def span(v: Value, first: int) -> Lifetime:
        if id(v) in outputs:
            return Lifetime(v.name, v.type.nbytes, first, end)
        last = max([first, *(step[id(u)] for u in v.users)])
        owner = aliased_by.get(id(v))
        if owner is not None and step[id(owner)] == last and v.users:
            last -= 1  # the last reader writes its output over this tensor
        return Lifetime(v.name, v.type.nbytes, first, last)

    spans = [span(v, 0) for v in graph.inputs]
    for n in nodes:
        spans += [span(o, step[id(n)]) for o in n.outputs]
        ws = model.workspace_of(n)
        if ws:
            spans.append(Lifetime(f"<workspace:{n.name}>", ws, step[id(n)], step[id(n)]))
    if model.include_constants:
        spans += [Lifetime(v.name, v.type.nbytes, 0, end) for v in graph.constants.values()]
    return sorted(spans, key=lambda t: (t.first, t.value))


def model_profile(graph: Graph, order: Sequence[Node] | None = None, model: MemoryModel = PLAIN) -> MemoryProfile:
    """The memory curve, peak and peak tensors of `graph` in `order` under `model`."""
    steps = len(graph.nodes if order is None else order)
    spans = [t for t in model_lifetimes(graph, order, model) if t.first <= t.last]
    return profile(spans, max(steps, 1))
