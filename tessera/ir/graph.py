"""The dataflow graph: Values, Nodes and the Graph that owns them.

A Value is a tensor: a graph input, a constant (numpy data), or a node output. Nodes are kept in
execution order; scheduling is a reordering of `graph.nodes`. Use-lists (`value.users`) are
maintained by the Graph methods below, which are the only way to change the graph's wiring; frontends
build a graph with them, and passes edit one through `tessera.ir.rewriter.Rewriter`, which calls them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tessera.errors import ShapeError, VerificationError
from tessera.ir.dtypes import DType
from tessera.ir.types import TensorType

if TYPE_CHECKING:
    from tessera.ir.ops.base import Attrs, Op


class Value:
    """A tensor in the graph. `producer` is None for graph inputs and constants."""

    __slots__ = ("data", "name", "producer", "type", "users")

    def __init__(self, name: str, type: TensorType, producer: Node | None = None, data: np.ndarray | None = None):
        self.name = name
        self.type = type
        self.producer = producer
        self.users: list[Node] = []  # one entry per use, so a node using a value twice appears twice
        self.data = data

    @property
    def shape(self) -> tuple[int, ...]:
        return self.type.shape

    @property
    def dtype(self) -> DType:
        return self.type.dtype

    @property
    def is_constant(self) -> bool:
        return self.data is not None

    def __repr__(self) -> str:
        return f"Value({self.name!r}, {self.type})"


class Node:
    """One op application. Inputs and outputs are tuples; change them through the Graph."""

    __slots__ = ("attrs", "inputs", "name", "op", "outputs")

    def __init__(self, op: type[Op], name: str, inputs: tuple[Value, ...], attrs: Attrs):
        self.op = op
        self.name = name
        self.inputs = inputs
        self.outputs: tuple[Value, ...] = ()
        self.attrs = attrs

    @property
    def output(self) -> Value:
        """The first output, for the common single-output case."""
        return self.outputs[0]

    def __repr__(self) -> str:
        return f"Node({self.op.name}, {self.name!r})"


class Graph:
    """A static-shape dataflow graph whose node list is its execution order."""

    def __init__(self, name: str = "main"):
        self.name = name
        self.inputs: list[Value] = []
        self.outputs: list[Value] = []
        self.constants: dict[str, Value] = {}
        self.nodes: list[Node] = []
        self._names: set[str] = set()  # value names
        self._node_names: set[str] = set()
        self._counter = [0]  # shared suffix counter for fresh names
        # int8 graph inputs/outputs that stand for real numbers: value name -> (scale, zero_point),
        # real = (q - zero_point) * scale (quantize-int8 with int8_io; backends document them)
        self.io_qparams: dict[str, tuple[float, int]] = {}
        # the node order the memory-schedule pass left (node names); the order is still its schedule
        # while the node list matches it (backends then do not advise scheduling again)
        self.memory_schedule: tuple[str, ...] | None = None
        # the HE packing of the linear layers (tessera.passes.private.layout.HePlan), set by `he-pack`
        self.he_plan: Any = None

    # ---- naming ----------------------------------------------------------------------------------
    def unique_name(self, base: str) -> str:
        """A value name not used yet in this graph, derived from `base`."""
        return _fresh(base or "v", self._names, self._counter)

    def has_name(self, name: str) -> bool:
        """Whether a value (input, constant or node output) of this graph is called `name`."""
        return name in self._names

    def unique_node_name(self, base: str) -> str:
        return _fresh(base or "node", self._node_names, self._counter)

    def _claim(self, name: str, what: str) -> str:
        if name in self._names:
            raise VerificationError(f"graph {self.name!r}: {what} name {name!r} is already used")
        self._names.add(name)
        return name

    # ---- building --------------------------------------------------------------------------------
    def add_input(self, name: str, type: TensorType) -> Value:
        value = Value(self._claim(name, "input"), type)
        self.inputs.append(value)
        return value

    def add_constant(self, name: str, data: np.ndarray, *, unique: bool = False) -> Value:
        """A constant tensor (weights, folded values). The array is stored, not copied."""
        data = np.asarray(data)
        name = self.unique_name(name) if unique else self._claim(name, "constant")
        value = Value(name, TensorType(DType.from_numpy(data.dtype), tuple(data.shape)), data=data)
        self.constants[name] = value
        return value

    def set_constant(self, name: str, data: np.ndarray) -> None:
        """Give constant `name` new values of the same dtype and shape (trained weights); the
        array is stored, not copied."""
        value = self.constants.get(name)
        if value is None:
            raise VerificationError(f"graph {self.name!r} has no constant {name!r}")
        data = np.asarray(data)
        if data.shape != value.shape or data.dtype != value.dtype.numpy():
            raise VerificationError(
                f"graph {self.name!r}: constant {name!r} is {value.type}; new values of {data.dtype}"
                f"{list(data.shape)} would change its type"
            )
        value.data = data

    def add_node(
        self,
        op: type[Op],
        inputs: Sequence[Value],
        attrs: Mapping[str, Any] | None = None,
        *,
        name: str | None = None,
        output_names: Sequence[str] | None = None,
        num_outputs: int | None = None,
        before: Node | None = None,
    ) -> Node:
        """Create a node, infer its output types, and insert it (at the end, or before `before`)."""
        node_name = self.unique_node_name(name or op.name.lower())
        frozen = op.make_attrs(attrs or {})
        try:
            types = op.infer([v.type for v in inputs], frozen)
        except ShapeError as err:
            raise ShapeError(f"node {node_name!r} ({op.name}): {err}") from None
        count = len(output_names) if output_names is not None else (num_outputs or 1)
        if count > len(types):
            raise ShapeError(f"node {node_name!r} ({op.name}) declares {count} outputs, the op has {len(types)}")
        names = list(output_names) if output_names is not None else [node_name] * count
        node = Node(op, node_name, tuple(inputs), frozen)
        node.outputs = tuple(
            Value(self.unique_name(n) if output_names is None else self._claim(n, "value"), t, node)
            for n, t in zip(names, types)
        )
        for value in inputs:
            value.users.append(node)
        index = len(self.nodes) if before is None else self.nodes.index(before)
        self.nodes.insert(index, node)
        return node

    def set_attrs(self, node: Node, attrs: Mapping[str, Any]) -> None:
        """Give `node` new attributes (normalized by its op); its output types must stay the same
        (re-inferred and checked), so only the values it computes change."""
        frozen = node.op.make_attrs(attrs)
        try:
            types = node.op.infer([v.type for v in node.inputs], frozen)
        except ShapeError as err:
            raise ShapeError(f"node {node.name!r} ({node.op.name}): {err}") from None
        old = [o.type for o in node.outputs]
        if list(types[: len(old)]) != old:
            raise VerificationError(
                f"graph {self.name!r}: new attributes of node {node.name!r} ({node.op.name}) would change its "
                f"output types {', '.join(map(str, old))} to {', '.join(map(str, types[: len(old)]))}"
            )
        node.attrs = frozen

    # ---- rewiring --------------------------------------------------------------------------------
    def set_input(self, node: Node, index: int, value: Value) -> None:
        """Make input `index` of `node` read `value`."""
        old = node.inputs[index]
        old.users.remove(node)
        node.inputs = (*node.inputs[:index], value, *node.inputs[index + 1 :])
        value.users.append(node)

    def replace_all_uses(self, old: Value, new: Value, *, take_name: bool = False) -> None:
        """Every reader of `old` (nodes and graph outputs) reads `new` instead. A graph output keeps
        its name: when `old` is one, `new` takes its name (and `old` gets `new`'s), as it does with
        `take_name` (to keep the readable names of a model's tensors)."""
        if old is new:
            return
        if old.type != new.type:
            raise VerificationError(f"cannot replace {old.name} ({old.type}) with {new.name} ({new.type})")
        if old in self.outputs or take_name:
            if not self.can_take_name(old, new):
                raise VerificationError(
                    f"graph {self.name!r}: cannot give {new.name!r} the name of {old.name!r}: a graph input would "
                    f"be renamed, or {new.name!r} is a graph output already (check can_take_name first, or keep "
                    f"{old.name!r} and read it through a node)"
                )
            self._swap_names(old, new)
        for user in list(old.users):
            user.inputs = tuple(new if v is old else v for v in user.inputs)
            new.users.append(user)
        old.users.clear()
        self.outputs = [new if v is old else v for v in self.outputs]

    def replace_input(self, old: Value, type: TensorType, rest_name: str) -> Value:
        """A new graph input of `type` takes the name and place of input `old`, which leaves the
        interface under `rest_name` (a name not in use) and keeps its readers until they are rewired."""
        if old not in self.inputs:
            raise VerificationError(
                f"graph {self.name!r}: {old.name!r} is not a graph input (replace one of its inputs)"
            )
        new = Value(old.name, type)
        old.name = self._claim(rest_name, "value")
        self.inputs[self.inputs.index(old)] = new
        return new

    def replace_output(self, old: Value, new: Value) -> None:
        """`new` takes the place of graph output `old`; readers of `old` keep reading it."""
        if old not in self.outputs:
            raise VerificationError(
                f"graph {self.name!r}: {old.name!r} is not a graph output (replace one of its outputs)"
            )
        self.outputs = [new if v is old else v for v in self.outputs]

    def can_take_name(self, old: Value, new: Value) -> bool:
        """Whether `new` may take the name of `old`: graph input names are interface, and a graph
        output has its own name already."""
        return old not in self.inputs and new not in self.inputs and new not in self.outputs

    def _swap_names(self, a: Value, b: Value) -> None:
        """Exchange two value names. The set of names in use does not change."""
        a.name, b.name = b.name, a.name
        if a.is_constant or b.is_constant:
            self.constants = {v.name: v for v in self.constants.values()}

    def erase(self, node: Node) -> None:
        """Remove a node whose outputs nobody reads."""
        for out in node.outputs:
            if out.users or out in self.outputs:
                raise VerificationError(f"cannot erase node {node.name!r}: output {out.name!r} is still used")
        for value in node.inputs:
            value.users.remove(node)
        self.nodes.remove(node)
        self._node_names.discard(node.name)
        for out in node.outputs:
            self._names.discard(out.name)

    def rename(self, value: Value, name: str) -> None:
        """Give a node output a new, unused name (frontends name graph outputs this way)."""
        if value.producer is None:
            raise VerificationError(f"graph {self.name!r}: only node outputs can be renamed, not {value.name!r}")
        if name == value.name:
            return
        self._claim(name, "value")
        self._names.discard(value.name)
        if value.name in self.io_qparams:  # an int8 graph output keeps its scale and zero point
            self.io_qparams[name] = self.io_qparams.pop(value.name)
        value.name = name

    def remove_unused_constants(self) -> int:
        unused = [n for n, v in self.constants.items() if not v.users and v not in self.outputs]
        for name in unused:
            del self.constants[name]
            self._names.discard(name)
        return len(unused)

    def reorder(self, order: Sequence[Node]) -> None:
        """Replace the execution order. The verifier checks that it respects dependencies."""
        if len(order) != len(self.nodes) or set(map(id, order)) != set(map(id, self.nodes)):
            raise VerificationError("reorder() needs a permutation of the graph's nodes")
        self.nodes = list(order)

    # ---- queries ---------------------------------------------------------------------------------
    def values(self) -> Iterator[Value]:
        """Every value: inputs, constants, then node outputs in order."""
        yield from self.inputs
        yield from self.constants.values()
        for node in self.nodes:
            yield from node.outputs

    def value(self, name: str) -> Value:
        for v in self.values():
            if v.name == name:
                return v
        raise KeyError(name)

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    def op_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for n in self.nodes:
            counts[n.op.name] = counts.get(n.op.name, 0) + 1
        return dict(sorted(counts.items()))

    def param_count(self) -> int:
        return sum(v.type.numel for v in self.constants.values())

    def copy(self) -> Graph:
        """An independent copy of the wiring. Constant arrays and attrs are shared: both are
        treated as immutable everywhere."""
        new = Graph(self.name)
        new._names, new._node_names = set(self._names), set(self._node_names)
        new._counter = [self._counter[0]]
        remap: dict[int, Value] = {}
        for v in self.inputs:
            remap[id(v)] = Value(v.name, v.type)
            new.inputs.append(remap[id(v)])
        for name, v in self.constants.items():
            remap[id(v)] = Value(v.name, v.type, data=v.data)
            new.constants[name] = remap[id(v)]
        for node in self.nodes:
            clone = Node(node.op, node.name, tuple(remap[id(v)] for v in node.inputs), node.attrs)
            for v in clone.inputs:
                v.users.append(clone)
            clone.outputs = tuple(Value(o.name, o.type, clone) for o in node.outputs)
            remap.update((id(o), c) for o, c in zip(node.outputs, clone.outputs))
            new.nodes.append(clone)
        new.outputs = [remap[id(v)] for v in self.outputs]
        new.io_qparams = dict(self.io_qparams)
        new.memory_schedule = self.memory_schedule
        new.he_plan = self.he_plan
        return new

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)

    def __str__(self) -> str:
        from tessera.ir.printer import print_graph

        return print_graph(self)


def _fresh(base: str, used: set[str], counter: list[int]) -> str:
    name = base
    while name in used:
        name = f"{base}_{counter[0]}"
        counter[0] += 1
    used.add(name)
    return name


def producers(values: Iterable[Value]) -> list[Node]:
    """The distinct producer nodes of `values`, in first-seen order."""
    seen: dict[int, Node] = {}
    for v in values:
        if v.producer is not None:
            seen.setdefault(id(v.producer), v.producer)
    return list(seen.values())
