"""The memory model schedulers optimise: liveness with per-op workspace, an optional in-place rule,
and optionally the constants.

- Liveness (tessera.ir.liveness, which this builds on): while node k runs, memory is every activation
  tensor live at its step: k's inputs, k's outputs, and every earlier tensor still awaiting a reader
  (graph inputs from step 0, graph outputs to the end).
- Workspace: `workspace(node) -> bytes` adds scratch memory that exists only while that node runs.
- In place (HMCOS's rule, wzh99/HMCOS src/sched/life.cpp `OverlapInput`): an Elementwise or View node
  (tessera.ir.traits) with one output may write it over its first non-constant input of the output's
  byte size, when that node is the input's last reader; the input then stops counting at that step.
  The peak is then HMCOS's `EstimatePeak` (docs/scheduling.md, "The metric vs HMCOS's").
- Kernel in place (`kernel_inplace`): the rules a backend's kernels follow, passed in as an
  `InPlaceRules` mapping (the MCU target's: `tessera.backends.mcu.inplace_rules()`): a node whose rule
  names input i may write output 0 over input i when it is that input's last reader and the input is
  not a graph output or constant (see `inplace_aliases`); while it runs the pair counts once, at the
  larger size, plus the rule's workspace. The arena planner (`plan_arena(inplace=rules)`) uses the
  same rules. No pass imports a backend: the rules arrive as a value.
- Constants: excluded unless `include_constants`, then every constant counts at every step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from tessera.errors import PassError
from tessera.ir.graph import Graph, Node, Value
from tessera.ir.liveness import Lifetime, MemoryProfile, lifetimes, profile
from tessera.ir.ops.base import Op
from tessera.ir.traits import Elementwise, View


@dataclass(frozen=True)
class InPlace:
    """A kernel's in-place ability: output 0 may overwrite input `input` (its bytes at the same
    offset), given `workspace_bytes` of scratch memory while the kernel runs."""

    input: int
    workspace_bytes: int = 0


InPlaceRule = Callable[[Node], InPlace | None]
# op class -> the rule its kernel follows; a backend builds this from its kernel table
InPlaceRules = Mapping[type[Op], InPlaceRule]


@dataclass(frozen=True)
class MemoryModel:
    """Which bytes count. The default is the plain liveness peak of tessera.ir.liveness."""

    inplace: bool = False  # HMCOS's rule (the scheduling benchmark's metric)
    include_constants: bool = False
    workspace: Callable[[Node], int] | None = None
    kernel_inplace: InPlaceRules | None = None  # a backend's kernel rules, as plan_arena(inplace=...); None: off

    def workspace_of(self, node: Node) -> int:
        return int(self.workspace(node)) if self.workspace is not None else 0

    def alias_input(self, node: Node) -> Value | None:
        """The input `node` may overwrite in place (if it is that input's last reader), or None."""
        if not self.inplace or len(node.outputs) != 1:
            return None
        if not node.op.has(Elementwise) and not node.op.has(View):
            return None
        out = node.outputs[0]
        return next((v for v in node.inputs if not v.is_constant and v.type.nbytes == out.type.nbytes), None)


def inplace_rules_for(owner: str, inplace: bool | None, rules: InPlaceRules | None) -> InPlaceRules | None:
    """The rules a pass with an `inplace` option plans with: None (the default) uses the target's rules
    when a compile bound them, True requires them, False never plans in place."""
    if inplace is False:
        return None
    if inplace and rules is None:
        raise PassError(
            f"{owner}: inplace=true needs the kernels' in-place rules, which come from the target: compile for "
            "target 'mcu', or pass inplace_rules=tessera.backends.mcu.inplace_rules()"
        )
    return rules


@dataclass(frozen=True)
class Alias:
    """One in-place pair the liveness allows: `node` writes `output` over `input`."""

    node: Node
    output: Value
    input: Value
    workspace_bytes: int


def inplace_aliases(graph: Graph, order: Sequence[Node] | None, rules: InPlaceRules) -> list[Alias]:
    """The in-place pairs of `graph` in `order` (None: its node order) under `rules`: a node whose
    rule names input i writes output 0 over it when the node is that input's last reader, the input
    is an activation (not a constant) and not a graph output, and output 0 is a different value."""
    nodes = list(graph.nodes if order is None else order)
    step = {id(n): i for i, n in enumerate(nodes)}
    outputs = {id(v) for v in graph.outputs}
    found = []
    for n in nodes:
        rule = rules.get(n.op)
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
    """Every counted buffer as a Lifetime under `model`: the activations of tessera.ir.liveness (an
    input overwritten in place ends one step before its last reader), one `<workspace:NODE>` span per
    node with workspace, and with `include_constants` one span per constant over all steps."""
    nodes = list(graph.nodes if order is None else order)
    step = {id(n): i for i, n in enumerate(nodes)}
    end = max(len(nodes) - 1, 0)
    aliased_at = _aliased_steps(graph, nodes, model, step)
    extra = _kernel_inplace_extra(graph, nodes, model, step, aliased_at)
    spans = []
    for t in lifetimes(graph, nodes):
        if aliased_at.get(t.value) == t.last:
            t = replace(t, last=t.last - 1)  # the last reader writes its output over this tensor
        spans.append(t)
    spans += extra
    for n in nodes:
        ws = model.workspace_of(n)
        if ws:
            spans.append(Lifetime(f"<workspace:{n.name}>", ws, step[id(n)], step[id(n)]))
    if model.include_constants:
        spans += [Lifetime(v.name, v.type.nbytes, 0, end) for v in graph.constants.values()]
    return sorted(spans, key=lambda t: (t.first, t.value))


def _aliased_steps(graph: Graph, nodes: list[Node], model: MemoryModel, step: dict[int, int]) -> dict[str, int]:
    """Tensor name -> the step of the node that may overwrite it (HMCOS's rule and the kernels')."""
    outputs = {id(v) for v in graph.outputs}
    found: dict[str, int] = {}
    for n in nodes:
        v = model.alias_input(n)
        if v is not None and v.users and id(v) not in outputs:
            found[v.name] = step[id(n)]
    if model.kernel_inplace is not None:
        for a in inplace_aliases(graph, nodes, model.kernel_inplace):
            found[a.input.name] = step[id(a.node)]
    return found


def _kernel_inplace_extra(
    graph: Graph, nodes: list[Node], model: MemoryModel, step: dict[int, int], aliased_at: dict[str, int]
) -> list[Lifetime]:
    """While an in-place kernel runs, the pair counts once at its larger size, plus its workspace."""
    if model.kernel_inplace is None:
        return []
    extra = []
    for a in inplace_aliases(graph, nodes, model.kernel_inplace):
        at = step[id(a.node)]
        grow = a.input.type.nbytes - a.output.type.nbytes
        if grow > 0:
            extra.append(Lifetime(f"<inplace:{a.node.name}>", grow, at, at))
        if a.workspace_bytes:
            extra.append(Lifetime(f"<workspace-inplace:{a.node.name}>", a.workspace_bytes, at, at))
    return extra


def model_profile(graph: Graph, order: Sequence[Node] | None = None, model: MemoryModel = PLAIN) -> MemoryProfile:
    """The memory curve, peak and peak tensors of `graph` in `order` under `model`."""
    steps = len(graph.nodes if order is None else order)
    spans = [t for t in model_lifetimes(graph, order, model) if t.first <= t.last]
    return profile(spans, max(steps, 1))
