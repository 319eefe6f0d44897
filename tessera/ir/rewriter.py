"""The one way passes edit a graph: the `Rewriter`, and the `RewritePattern`s it is handed to.

A pattern declares the op it applies to (`root`) and implements `match_and_rewrite(node, rw)`, which
returns early when it does not apply and otherwise edits through `rw`. `tessera.ir.driver` runs
patterns over a graph until nothing changes.

Rewrites keep the graph's interface: when a graph output is replaced, the replacement takes the
output's name (`Rewriter.can_replace` says whether that is possible); only `retype_input` and
`retype_output` change it, on purpose (an int8 interface under the float names). The Rewriter records the nodes
an edit touched (new nodes, readers of replaced values, producers of erased nodes), so the driver
revisits exactly those.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from tessera.errors import PassError
from tessera.ir.dtypes import DType
from tessera.ir.graph import Graph, Node, Value
from tessera.ir.ops.base import Op


@dataclass(frozen=True)
class DeadCode:
    """What `Rewriter.remove_dead` removed."""

    nodes: int
    constants: int


class Rewriter:
    """The edit interface handed to patterns and used by passes. Records whether anything changed."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.changed = False
        self._erased: dict[int, Node] = {}  # keeps erased nodes alive so their ids are not reused
        self._touched: list[Node] = []

    # ---- adding ----------------------------------------------------------------------------------
    def add(
        self,
        op: type[Op],
        inputs: Sequence[Value],
        attrs: Mapping[str, Any] | None = None,
        *,
        before: Node | None = None,
        name: str | None = None,
        num_outputs: int | None = None,
        output_names: Sequence[str] | None = None,
    ) -> Node:
        """Insert a new node right before `before` (its operands are all defined by then), or at
        the end of the graph when `before` is None. Its outputs are named after the node, or
        `output_names` (names not in use, one per output) when given."""
        self.changed = True
        node = self.graph.add_node(
            op, inputs, attrs, name=name, before=before, num_outputs=num_outputs, output_names=output_names
        )
        self._touched.append(node)
        return node

    def constant(self, name: str, data: np.ndarray) -> Value:
        """A new constant named after `name` (made unique)."""
        self.changed = True
        return self.graph.add_constant(name, data, unique=True)

    # ---- rewiring --------------------------------------------------------------------------------
    def can_replace(self, old: Value, new: Value) -> bool:
        """Whether `replace_all_uses(old, new)` keeps the graph's interface: a graph output can only
        be replaced by a node output or a constant that is not a graph output already (it then takes
        the output's name); never by a graph input, whose name is part of the interface too."""
        if old is new or old not in self.graph.outputs:
            return True
        return self.graph.can_take_name(old, new)

    def replace_all_uses(self, old: Value, new: Value, *, take_name: bool = False) -> None:
        """Readers of `old` read `new`. `new` takes the name of `old` when `old` is a graph output,
        or when asked with `take_name` (to keep the readable names of a model's tensors)."""
        if old is new:
            return
        if (old in self.graph.outputs or take_name) and not self.graph.can_take_name(old, new):
            raise PassError(
                f"cannot give {new.name!r} the name of {old.name!r}: a graph input would be renamed, or "
                f"{new.name!r} is a graph output already (check Rewriter.can_replace first)"
            )
        self.changed = True
        self._touch_value(old)
        self.graph.replace_all_uses(old, new, take_name=take_name)
        self._touch_value(new)

    def set_input(self, node: Node, index: int, value: Value) -> None:
        """Make input `index` of `node` read `value`."""
        self.changed = True
        old = node.inputs[index]
        self.graph.set_input(node, index, value)
        self._touched.append(node)
        self._touch_value(old)
        self._touch_value(value)

    def replace_op(
        self, node: Node, op: type[Op], inputs: Sequence[Value], attrs: Mapping[str, Any] | None = None
    ) -> Node:
        """Swap `node` for a new node (at its place, with its node and output names) computing the
        same types from `inputs`; producers left dead are erased. Returns the new node."""
        new = self.add(op, inputs, attrs, before=node, name=node.name, num_outputs=len(node.outputs))
        for old, fresh in zip(node.outputs, new.outputs):
            if old.type != fresh.type:
                raise PassError(f"replace_op on {node.name!r}: {op.name} gives {fresh.type}, {old.name} is {old.type}")
        self.take_node_name(new, node)
        self.replace(node, new.outputs, take_names=True)
        return new

    def take_node_name(self, new: Node, old: Node) -> None:
        """`new` takes the node name of `old`, which takes new's: both names stay claimed, and
        erasing `old` later frees the temporary one."""
        self.changed = True
        old.name, new.name = new.name, old.name

    def replace(self, node: Node, new_values: Sequence[Value], *, take_names: bool = False) -> None:
        """Readers of node's outputs read `new_values` instead (taking the outputs' names with
        `take_names`); the node and any producers left dead by that are erased."""
        if len(new_values) > len(node.outputs):
            raise PassError(f"replace: node {node.name!r} has {len(node.outputs)} outputs, not {len(new_values)}")
        for old, new in zip(node.outputs, new_values):
            self.replace_all_uses(old, new, take_name=take_names)
        self.erase_dead(node)

    def reorder(self, order: Sequence[Node]) -> None:
        """Replace the execution order (a permutation of the graph's nodes)."""
        self.changed = True
        self.graph.reorder(order)

    # ---- the interface -------------------------------------------------------------------------
    def retype_input(self, old: Value, dtype: DType, qparams: tuple[float, int], rest_name: str) -> Value:
        """Graph input `old` becomes a new input of `dtype` with its name, place and shape, read as
        real numbers through the (scale, zero point) `qparams` (`Graph.io_qparams`). `old` leaves
        the interface under `rest_name` (a name not in use) and keeps its readers until they are
        rewired to a conversion of the new input. Returns the new input."""
        if old not in self.graph.inputs:
            raise PassError(
                f"retype_input: {old.name!r} is not an input of graph {self.graph.name!r} (retype a graph input)"
            )
        self.changed = True
        new = self.graph.replace_input(old, old.type.with_dtype(dtype), rest_name)
        self.graph.io_qparams[new.name] = qparams
        return new

    def retype_output(self, old: Value, new: Value, qparams: tuple[float, int], rest_name: str) -> Value:
        """Graph output `old` becomes `new` (of another dtype), read as real numbers through the
        (scale, zero point) `qparams`. `new` takes the output's name when both are node outputs and
        `new` is no graph output yet (`old` is then called `rest_name`); readers of `old` stay."""
        if old not in self.graph.outputs:
            raise PassError(
                f"retype_output: {old.name!r} is not an output of graph {self.graph.name!r} (retype a graph output)"
            )
        self.changed = True
        renamable = old.producer is not None and new.producer is not None and new not in self.graph.outputs
        self.graph.replace_output(old, new)
        self._touch_value(old)
        if renamable:
            name = old.name
            self.graph.rename(old, rest_name)
            self.graph.rename(new, name)
        self.graph.io_qparams[new.name] = qparams
        return new

    # ---- removing --------------------------------------------------------------------------------
    def erase(self, node: Node) -> None:
        """Remove a node whose outputs nobody reads."""
        self.changed = True
        self._erased[id(node)] = node
        self.graph.erase(node)
        for value in node.inputs:
            self._touch_value(value)

    def erase_dead(self, node: Node) -> None:
        """Erase `node` if nothing reads its outputs, then its producers that became dead."""
        stack = [node]
        while stack:
            n = stack.pop()
            if self.is_erased(n) or not self.is_dead(n):
                continue
            inputs = [v.producer for v in n.inputs if v.producer is not None]
            self.erase(n)
            stack.extend(inputs)

    def remove_dead(self) -> DeadCode:
        """Dead code elimination: erase the nodes nothing reads (a graph output is a reader), then
        the constants nothing reads. Graph inputs stay even when unused: they are the interface."""
        nodes = 0
        # Readers come after their producers, so one backward sweep also removes the producers that
        # become dead when their last reader goes.
        for node in reversed(list(self.graph.nodes)):
            if self.is_dead(node):
                self.erase(node)
                nodes += 1
        constants = self.graph.remove_unused_constants()
        self.changed = self.changed or constants > 0
        return DeadCode(nodes, constants)

    # ---- queries ---------------------------------------------------------------------------------
    def is_dead(self, node: Node) -> bool:
        """Nothing reads any output of `node` (a graph output counts as read)."""
        return not any(out.users or out in self.graph.outputs for out in node.outputs)

    def is_erased(self, node: Node) -> bool:
        return id(node) in self._erased

    def take_touched(self) -> list[Node]:
        """The live nodes touched since the last call (in order, repeats possible), and forget them."""
        touched = [n for n in self._touched if not self.is_erased(n)]
        self._touched = []
        return touched

    def _touch_value(self, value: Value) -> None:
        """A value whose readers changed: its producer and its readers may match patterns now."""
        if value.producer is not None:
            self._touched.append(value.producer)
        self._touched.extend(value.users)


class RewritePattern:
    """Set `root` to the op (or ops) the pattern applies to, None for any op; override
    `match_and_rewrite`, which returns without touching `rw` when the pattern does not apply."""

    root: ClassVar[type[Op] | tuple[type[Op], ...] | None] = None

    def match_and_rewrite(self, node: Node, rw: Rewriter) -> None:
        raise NotImplementedError(f"pattern {type(self).__name__} defines no match_and_rewrite()")

    @classmethod
    def applies_to(cls, op: type[Op]) -> bool:
        """Whether nodes of `op` are dispatched to this pattern."""
        if cls.root is None:
            return True
        roots = cls.root if isinstance(cls.root, tuple) else (cls.root,)
        return op in roots
