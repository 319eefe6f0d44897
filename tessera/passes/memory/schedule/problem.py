"""The scheduling problem as plain integers: what every scheduler sees.

Nodes are 0..n-1 (the graph's order as imported), tensors 0..t-1. A tensor has a producer (-1 for a
tensor that exists before the first step: a graph input, or a tensor made before a sub-problem's
segment), its distinct reader nodes, and `keep` (it must stay live to the last step: a graph output, or
read after the segment). `base` bytes are live at every step (tensors crossing a segment, constants).
`peak()` is the step-by-step simulation every scheduler's result is measured with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tessera.errors import PassError
from tessera.ir.graph import Graph
from tessera.passes.memory.model import PLAIN, MemoryModel


@dataclass(frozen=True)
class Problem:
    names: tuple[str, ...]  # node names
    size: tuple[int, ...]  # tensor bytes
    producer: tuple[int, ...]  # tensor -> node, or -1 (live from the start)
    readers: tuple[tuple[int, ...], ...]  # tensor -> distinct reader nodes
    keep: tuple[bool, ...]  # tensor -> live until the last step
    inputs: tuple[tuple[int, ...], ...]  # node -> distinct activation tensors it reads
    outputs: tuple[tuple[int, ...], ...]  # node -> tensors it writes
    alias: tuple[int, ...]  # node -> tensor it may overwrite in place when its last reader, or -1
    workspace: tuple[int, ...]  # node -> scratch bytes while it runs
    base: int = 0  # bytes live at every step

    @property
    def n(self) -> int:
        return len(self.names)

    def preds(self, k: int) -> list[int]:
        return sorted({self.producer[t] for t in self.inputs[k] if self.producer[t] >= 0})

    def succs(self, k: int) -> list[int]:
        return sorted({r for t in self.outputs[k] for r in self.readers[t]})

    def check_order(self, order: Sequence[int]) -> None:
        if sorted(order) != list(range(self.n)):
            raise PassError(f"schedule is not a permutation of the {self.n} nodes")
        seen: set[int] = set()
        for k in order:
            for p in self.preds(k):
                if p not in seen:
                    raise PassError(f"schedule runs {self.names[k]!r} before its input's producer {self.names[p]!r}")
            seen.add(k)

    def curve(self, order: Sequence[int]) -> list[int]:
        """Bytes live while each step of `order` runs (a step-by-step simulation)."""
        remaining = [len(r) for r in self.readers]
        live = {t: self.size[t] for t in range(len(self.size)) if self.producer[t] < 0}
        steps = []
        for k in order:
            dying = [t for t in self.inputs[k] if remaining[t] == 1 and not self.keep[t]]
            inplace = self.alias[k] if self.alias[k] in dying else -1
            for t in self.outputs[k]:
                live[t] = self.size[t]
            running = sum(live.values()) + self.workspace[k] - (self.size[inplace] if inplace >= 0 else 0)
            steps.append(self.base + running)
            for t in self.inputs[k]:
                remaining[t] -= 1
            for t in dying:
                del live[t]
            for t in [*self.outputs[k], *(t for t in live if self.producer[t] < 0)]:
                if not self.readers[t] and not self.keep[t]:
                    live.pop(t, None)
        return steps

    def spans(self, order: Sequence[int]) -> list[tuple[int, int]]:
        """Per tensor, the steps [first, last] it counts in `order` (empty when first > last)."""
        pos = {k: i for i, k in enumerate(order)}
        end = len(order) - 1
        out = []
        for t in range(len(self.size)):
            first = pos[self.producer[t]] if self.producer[t] >= 0 else 0
            if self.keep[t]:
                out.append((first, end))
                continue
            if not self.readers[t]:
                out.append((first, first))
                continue
            last_reader = max(self.readers[t], key=lambda r: pos[r])
            last = pos[last_reader] - (1 if self.alias[last_reader] == t else 0)
            out.append((first, last))
        return out

    def peak(self, order: Sequence[int]) -> int:
        return max(self.curve(order), default=self.base)


def build_problem(graph: Graph, model: MemoryModel = PLAIN) -> Problem:
    """The graph's nodes and activation tensors, in its current order, under `model`."""
    if model.kernel_inplace is not None:
        raise PassError(
            "the schedulers do not model the kernels' in-place rules (MemoryModel(kernel_inplace=...)) yet; "
            "schedule under the plain or HMCOS model and plan the arena with plan_arena(..., inplace=rules)"
        )
    node_index = {id(n): i for i, n in enumerate(graph.nodes)}
    tensors = [*graph.inputs, *(o for n in graph.nodes for o in n.outputs)]
    index = {id(v): i for i, v in enumerate(tensors)}
    outs = {id(v) for v in graph.outputs}
    readers = tuple(tuple(sorted({node_index[id(u)] for u in v.users})) for v in tensors)
    alias = []
    for n in graph.nodes:
        v = model.alias_input(n)
        alias.append(index[id(v)] if v is not None else -1)
    base = sum(v.type.nbytes for v in graph.constants.values()) if model.include_constants else 0
    return Problem(
        names=tuple(n.name for n in graph.nodes),
        size=tuple(v.type.nbytes for v in tensors),
        producer=tuple(-1 if v.producer is None else node_index[id(v.producer)] for v in tensors),
        readers=readers,
        keep=tuple(id(v) in outs for v in tensors),
        inputs=tuple(tuple(dict.fromkeys(index[id(v)] for v in n.inputs if id(v) in index)) for n in graph.nodes),
        outputs=tuple(tuple(index[id(o)] for o in n.outputs) for n in graph.nodes),
        alias=tuple(alias),
        workspace=tuple(model.workspace_of(n) for n in graph.nodes),
        base=base,
    )
