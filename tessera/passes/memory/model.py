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
- Kernel in place (`kernel_inplace`, a separate switch): the rules backends register in
  INPLACE_RULES (`register_inplace`): a node whose rule names input i may write output 0 over input i
  when it is that input's last reader and the input is not a graph output or constant (see
  `inplace_aliases`); while it runs the pair counts once, at the larger size, plus the rule's
  workspace. The arena planner (`plan_arena(inplace=True)`) uses the same rule.
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

    inplace: bool = False  # HMCOS's rule (the scheduling benchmark's metric)
    include_constants: bool = False
    workspace: Callable[[Node], int] | None = None
    kernel_inplace: bool = False  # the kernels' rules (INPLACE_RULES), as plan_arena(inplace=True)

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


@dataclass(frozen=True)
class InPlace:
    """A kernel's in-place ability: output 0 may overwrite input `input` (its bytes at the same
    offset), given `workspace_bytes` of scratch memory while the kernel runs."""

    input: int
    workspace_bytes: int = 0


InPlaceRule = Callable[[Node], InPlace | None]
# op name -> rule; registered by the side that owns the kernels (e.g. tessera.backends.mcu.inplace).
INPLACE_RULES: dict[str, InPlaceRule] = {}


def register_inplace(op_name: str, rule: InPlaceRule) -> InPlaceRule:
    """Declare that op `op_name`'s kernel can write its output over the input `rule(node)` names."""
    INPLACE_RULES[op_name] = rule
    return rule


@dataclass(frozen=True)
class Alias:
    """One in-place pair the liveness allows: `node` writes `output` over `input`."""

    node: Node
    output: Value
    input: Value
    workspace_bytes: int


def inplace_aliases(graph: Graph, order: Sequence[Node] | None = None, rules: dict | None = None) -> list[Alias]:
    """The in-place pairs of `graph` in `order` under `rules` (default INPLACE_RULES): a node whose
    rule names input i writes output 0 over it when the node is that input's last reader, the input
    is an activation (not a constant) and not a graph output, and output 0 is a different value."""
    rules = INPLACE_RULES if rules is None else rules
    nodes = list(graph.nodes if order is None else order)
    step = {id(n): i for i, n in enumerate(nodes)}
    outputs = {id(v) for v in graph.outputs}
    found = []
    for n in nodes:
        rule = rules.get(n.op.name)
        choice = rule(n) if rule is not None and n.outputs else None
        if choice is None or not 0 <= choice.input < len(n.inputs):
            continue
        v, out = n.inputs[choice.input], n.outputs[0]
        if v.is_constant or id(v) in outputs or v is out or not v.users:
            continue
        if max(step[id(u)] for u in v.users) != step[id(n)]:
            continue
        found.append(Alias(n, out, v, int(choice.workspace_bytes)))
    return found


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
    extra: list[Lifetime] = []
    if model.kernel_inplace:  # the pair counts once at its larger size, plus the kernel's workspace
        for a in inplace_aliases(graph, nodes):
            aliased_by[id(a.input)] = a.node
            at = step[id(a.node)]
            grow = a.input.type.nbytes - a.output.type.nbytes
            if grow > 0:
                extra.append(Lifetime(f"<inplace:{a.node.name}>", grow, at, at))
            if a.workspace_bytes:
                extra.append(Lifetime(f"<workspace-inplace:{a.node.name}>", a.workspace_bytes, at, at))

    def span(v: Value, first: int) -> Lifetime:
        if id(v) in outputs:
            return Lifetime(v.name, v.type.nbytes, first, end)
        last = max([first, *(step[id(u)] for u in v.users)])
        owner = aliased_by.get(id(v))
        if owner is not None and step[id(owner)] == last and v.users:
            last -= 1  # the last reader writes its output over this tensor
        return Lifetime(v.name, v.type.nbytes, first, last)

    spans = [span(v, 0) for v in graph.inputs] + extra
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
