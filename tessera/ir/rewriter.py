"""Pattern rewriting.

Two ways to write a rewrite:

* a `RewritePattern` subclass whose `match_and_rewrite(node, rw)` returns early when it does not
  apply, and otherwise edits through the `Rewriter`;
* a declarative `Pat` tree (op types, predicates, bindings) matched with `match(pat, node, graph)`,
  which returns the bound nodes and values, used inside `match_and_rewrite` or via `PatternRule`.

`apply_patterns(graph, patterns)` runs them over the graph until nothing changes.

Rewrites keep the graph's interface: when a graph output is replaced, the replacement takes the
output's name (`Rewriter.can_replace` says whether that is possible).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tessera.errors import PassError
from tessera.ir.graph import Graph, Node, Value
from tessera.ir.ops.base import Op


@dataclass(frozen=True)
class Pat:
    """Matches a value. With `op`, the value must be the output of a node whose op is one of `op`,
    and (if `inputs` is given) whose inputs match `inputs` positionally. `where` is a predicate on
    the node (or on the value when `op` is None). `name` binds the node (or the value)."""

    op: tuple[type[Op], ...] | None = None
    inputs: tuple[Pat, ...] | None = None
    where: Callable[[Any], bool] | None = None
    name: str | None = None
    const: bool = False  # the value must be a constant
    single_use: bool = False  # the matched value may have only this one reader (a graph output is a reader)

    def __call__(self, *inputs: Pat) -> Pat:
        return Pat(self.op, tuple(inputs), self.where, self.name, self.const, self.single_use)


def op(
    kind: type[Op] | tuple[type[Op], ...],
    *inputs: Pat,
    where: Callable[[Node], bool] | None = None,
    name: str | None = None,
    single_use: bool = False,
) -> Pat:
    """A node pattern: `op(Relu, op(Conv, any_value("x"), const("w")), name="relu")`."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return Pat(kinds, tuple(inputs) if inputs else None, where, name, single_use=single_use)


def any_value(name: str | None = None, where: Callable[[Value], bool] | None = None) -> Pat:
    return Pat(None, None, where, name)


def const(name: str | None = None, where: Callable[[Value], bool] | None = None) -> Pat:
    return Pat(None, None, where, name, const=True)


@dataclass
class Match:
    root: Node
    graph: Graph
    nodes: dict[str, Node] = field(default_factory=dict)
    values: dict[str, Value] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.nodes[key] if key in self.nodes else self.values[key]


def match(pattern: Pat, node: Node, graph: Graph) -> Match | None:
    """Match `pattern` rooted at `node` of `graph` (pattern.op must be set). None when it does not
    match. The graph is needed to tell graph outputs, which count as readers for `single_use`."""
    if pattern.op is None:
        raise PassError("match() needs a node pattern at the root")
    m = Match(node, graph)
    return m if _match_node(pattern, node, m) else None


def _match_value(p: Pat, v: Value, m: Match) -> bool:
    if p.single_use and (len(v.users) != 1 or v in m.graph.outputs):
        return False
    if p.op is None:
        if p.const and not v.is_constant:
            return False
        if p.where is not None and not p.where(v):
            return False
        return _bind(m.values, p.name, v)
    if v.producer is None:
        return False
    return _match_node(p, v.producer, m)


def _match_node(p: Pat, node: Node, m: Match) -> bool:
    assert p.op is not None
    if node.op not in p.op:
        return False
    if p.inputs is not None:
        if len(p.inputs) > len(node.inputs):
            return False
        if not all(_match_value(ip, v, m) for ip, v in zip(p.inputs, node.inputs)):
            return False
    if p.where is not None and not p.where(node):
        return False
    return _bind(m.nodes, p.name, node)


def _bind(table: dict[str, Any], name: str | None, item: Any) -> bool:
    if name is None:
        return True
    if name in table:
        return table[name] is item
    table[name] = item
    return True


class Rewriter:
    """The edit interface handed to patterns. Records whether anything changed."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.changed = False
        self._erased: dict[int, Node] = {}  # keeps erased nodes alive so their ids are not reused

    def add(
        self,
        op: type[Op],
        inputs: Sequence[Value],
        attrs: Mapping[str, Any] | None = None,
        *,
        before: Node,
        name: str | None = None,
        num_outputs: int | None = None,
    ) -> Node:
        """Insert a new node right before `before` (its operands are all defined by then)."""
        self.changed = True
        return self.graph.add_node(op, inputs, attrs, name=name, before=before, num_outputs=num_outputs)

    def constant(self, name: str, data: np.ndarray) -> Value:
        self.changed = True
        return self.graph.add_constant(name, data, unique=True)

    def can_replace(self, old: Value, new: Value) -> bool:
        """Whether `replace_all_uses(old, new)` keeps the graph's interface: a graph output can only
        be replaced by a node output or a constant that is not a graph output already (it then takes
        the output's name); never by a graph input, whose name is part of the interface too."""
        if old is new or old not in self.graph.outputs:
            return True
        return self._can_swap_names(old, new)

    def replace_all_uses(self, old: Value, new: Value, *, take_name: bool = False) -> None:
        """Readers of `old` read `new`. `new` takes the name of `old` when `old` is a graph output,
        or when asked with `take_name` (to keep the readable names of a model's tensors)."""
        if old is new:
            return
        if old in self.graph.outputs or take_name:
            if not self._can_swap_names(old, new):
                raise PassError(
                    f"cannot give {new.name!r} the name of {old.name!r}: a graph input would be renamed, or "
                    f"{new.name!r} is a graph output already (check Rewriter.can_replace first)"
                )
            self._swap_names(old, new)
        self.changed = True
        self.graph.replace_all_uses(old, new)

    def replace_op(
        self, node: Node, op: type[Op], inputs: Sequence[Value], attrs: Mapping[str, Any] | None = None
    ) -> Node:
        """Swap `node` for a new node (at its place, with its node and output names) computing the
        same types from `inputs`; producers left dead are erased. Returns the new node."""
        new = self.add(op, inputs, attrs, before=node, name=node.name, num_outputs=len(node.outputs))
        for old, fresh in zip(node.outputs, new.outputs):
            if old.type != fresh.type:
                raise PassError(f"replace_op on {node.name!r}: {op.name} gives {fresh.type}, {old.name} is {old.type}")
        node.name, new.name = new.name, node.name  # both names stay claimed; erasing frees the temporary one
        self.replace(node, new.outputs, take_names=True)
        return new

    def _can_swap_names(self, old: Value, new: Value) -> bool:
        """Graph input names are interface; a graph output already has its own name."""
        return old not in self.graph.inputs and new not in self.graph.inputs and new not in self.graph.outputs

    def _swap_names(self, a: Value, b: Value) -> None:
        """Exchange two value names. The set of names in use does not change."""
        a.name, b.name = b.name, a.name
        if a.is_constant or b.is_constant:
            self.graph.constants = {v.name: v for v in self.graph.constants.values()}

    def set_input(self, node: Node, index: int, value: Value) -> None:
        self.changed = True
        self.graph.set_input(node, index, value)

    def replace(self, node: Node, new_values: Sequence[Value], *, take_names: bool = False) -> None:
        """Readers of node's outputs read `new_values` instead (taking the outputs' names with
        `take_names`); the node and any producers left dead by that are erased."""
        if len(new_values) > len(node.outputs):
            raise PassError(f"replace: node {node.name!r} has {len(node.outputs)} outputs, not {len(new_values)}")
        for old, new in zip(node.outputs, new_values):
            self.replace_all_uses(old, new, take_name=take_names)
        self.erase_dead(node)

    def erase(self, node: Node) -> None:
        self.changed = True
        self._erased[id(node)] = node
        self.graph.erase(node)

    def erase_dead(self, node: Node) -> None:
        """Erase `node` if nothing reads its outputs, then its producers that became dead."""
        stack = [node]
        while stack:
            n = stack.pop()
            if self.is_erased(n) or any(o.users or o in self.graph.outputs for o in n.outputs):
                continue
            inputs = [v.producer for v in n.inputs if v.producer is not None]
            self.erase(n)
            stack.extend(inputs)

    def is_erased(self, node: Node) -> bool:
        return id(node) in self._erased


class RewritePattern:
    """Override `match_and_rewrite`: return without touching `rw` when the pattern does not apply."""

    def match_and_rewrite(self, node: Node, rw: Rewriter) -> None:
        raise NotImplementedError


@dataclass
class PatternRule(RewritePattern):
    """A declarative rule: when `pattern` matches at a node, call `rewrite(match, rw)`."""

    pattern: Pat
    rewrite: Callable[[Match, Rewriter], None]

    def match_and_rewrite(self, node: Node, rw: Rewriter) -> None:
        m = match(self.pattern, node, rw.graph)
        if m is not None:
            self.rewrite(m, rw)


def apply_patterns(graph: Graph, patterns: Sequence[RewritePattern], max_rounds: int = 100) -> int:
    """Apply `patterns` over the graph until a round changes nothing. Returns the rewrite count."""
    total = 0
    for _ in range(max_rounds):
        rw = Rewriter(graph)
        rewrites = 0
        for node in list(graph.nodes):
            for pattern in patterns:
                if rw.is_erased(node):
                    break
                before = rw.changed
                rw.changed = False
                pattern.match_and_rewrite(node, rw)
                if rw.changed:
                    rewrites += 1
                rw.changed = rw.changed or before
        total += rewrites
        if not rw.changed:
            return total
    raise PassError(f"patterns did not reach a fixpoint in {max_rounds} rounds on graph {graph.name!r}")
