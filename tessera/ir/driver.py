"""The worklist driver: run rewrite patterns over a graph until none applies.

A round seeds the worklist with the graph's nodes in order, then takes nodes off it one at a time
and hands each only to the patterns whose `root` is its op. After a rewrite, the nodes it touched
(new nodes, readers of replaced values, producers of erased nodes) go back on the worklist. When the
worklist is empty, the next round seeds it again: a round that rewrites nothing confirms the
fixpoint, so a graph that changes takes two rounds and one that does not takes one.

Two bounds: `max_rounds` (a driver that has not converged by then says so in its result), and
`max_rewrites` per round, past which a pattern keeps undoing or redoing its own work and PassError
names it.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tessera.errors import PassError
from tessera.ir.graph import Graph, Node
from tessera.ir.ops.base import Op
from tessera.ir.rewriter import RewritePattern, Rewriter


@dataclass(frozen=True)
class DriverResult:
    rewrites: int  # pattern applications that changed the graph
    rounds: int  # full sweeps; the last one changed nothing when converged
    converged: bool
    dead_erased: int  # nodes erased because nothing read them (with erase_dead)
    fired: Mapping[str, int]  # rewrites per pattern class name


def drive(
    rw: Rewriter,
    patterns: Sequence[RewritePattern],
    *,
    max_rounds: int = 10,
    max_rewrites: int | None = None,
    erase_dead: bool = False,
) -> DriverResult:
    """Apply `patterns` through `rw` until a round changes nothing or `max_rounds` have run. With
    `erase_dead`, a node nothing reads is erased when it comes off the worklist (DCE as it goes).
    `max_rewrites` bounds one round (default: 10 per node of the graph, plus 100)."""
    if max_rounds < 1:
        raise PassError(f"rewrite driver: max_rounds must be at least 1, got {max_rounds}")
    sweep = _Sweep(rw, patterns, erase_dead)
    rounds = 0
    for rounds in range(1, max_rounds + 1):
        budget = max_rewrites if max_rewrites is not None else 10 * len(rw.graph.nodes) + 100
        if not sweep.run(budget):
            return sweep.result(rounds, converged=True)
    return sweep.result(rounds, converged=False)


def apply_patterns(graph: Graph, patterns: Sequence[RewritePattern], max_rounds: int = 10) -> int:
    """Apply `patterns` over `graph` until nothing changes. Returns the rewrite count."""
    result = drive(Rewriter(graph), patterns, max_rounds=max_rounds)
    if not result.converged:
        raise PassError(
            f"patterns did not reach a fixpoint in {max_rounds} rounds on graph {graph.name!r}; "
            f"rewrites so far: {_firing(result.fired)} (one of them undoes another's rewrite)"
        )
    return result.rewrites


class _Sweep:
    """The worklist state of one driver run."""

    def __init__(self, rw: Rewriter, patterns: Sequence[RewritePattern], erase_dead: bool):
        self.rw = rw
        self.patterns = list(patterns)
        self.erase_dead = erase_dead
        self.by_op: dict[type[Op], list[RewritePattern]] = {}
        self.fired: Counter[str] = Counter()
        self.dead = 0

    def run(self, budget: int) -> bool:
        """One round from a fresh seed. Whether it changed the graph."""
        rw = self.rw
        rw.take_touched()  # edits made before this round are covered by the seed
        queue: deque[Node] = deque(rw.graph.nodes)
        queued = {id(n) for n in queue}
        round_fired: Counter[str] = Counter()
        dead_before = self.dead
        while queue:
            node = queue.popleft()
            queued.discard(id(node))
            if rw.is_erased(node):
                continue
            if self._visit(node, round_fired) and sum(round_fired.values()) > budget:
                raise PassError(
                    f"rewriting graph {rw.graph.name!r} did not settle after {budget} rewrites in one round: "
                    f"{_firing(round_fired)}; the most frequent one keeps firing (it undoes another rewrite "
                    f"or redoes its own): make its match condition false on its own result"
                )
            for touched in rw.take_touched():
                if id(touched) not in queued:
                    queued.add(id(touched))
                    queue.append(touched)
        self.fired.update(round_fired)
        return bool(round_fired) or self.dead > dead_before

    def _visit(self, node: Node, round_fired: Counter[str]) -> bool:
        """Hand `node` to its patterns in order, until one erases it. Whether any rewrote."""
        rw = self.rw
        if self.erase_dead and rw.is_dead(node):
            rw.erase(node)
            self.dead += 1
            return False
        changed_before, rewrote = rw.changed, False
        for pattern in self._patterns_for(node.op):
            if rw.is_erased(node):
                break
            rw.changed = False
            pattern.match_and_rewrite(node, rw)
            if rw.changed:
                round_fired[type(pattern).__name__] += 1
                rewrote = True
        rw.changed = changed_before or rewrote
        return rewrote

    def _patterns_for(self, op: type[Op]) -> list[RewritePattern]:
        if op not in self.by_op:
            self.by_op[op] = [p for p in self.patterns if p.applies_to(op)]
        return self.by_op[op]

    def result(self, rounds: int, *, converged: bool) -> DriverResult:
        return DriverResult(sum(self.fired.values()), rounds, converged, self.dead, dict(self.fired))


def _firing(fired: Mapping[str, int]) -> str:
    """'A fired 12 times, B fired 3 times', most frequent first."""
    ranked = sorted(fired.items(), key=lambda kv: -kv[1])
    return ", ".join(f"{name} fired {count} times" for name, count in ranked) or "none fired"
