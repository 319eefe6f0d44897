"""Checks the IR invariants. Run after every pass (the PassManager does) and in tests."""

from __future__ import annotations

from tessera.errors import ShapeError, VerificationError
from tessera.ir.graph import Graph, Value


def verify(graph: Graph) -> None:
    """Raise VerificationError naming the first broken invariant:

    single assignment of names, every operand defined before its use (which also rules out cycles),
    use-lists that match the operands, and node output types equal to the op's inference.
    """
    where = f"graph {graph.name!r}"
    defined: set[int] = set()
    names: set[str] = set()

    def define(value: Value) -> None:
        if value.name in names:
            raise VerificationError(f"{where}: value name {value.name!r} is assigned twice")
        names.add(value.name)
        defined.add(id(value))

    for v in graph.inputs:
        if v.producer is not None or v.is_constant:
            raise VerificationError(f"{where}: input {v.name!r} has a producer or data")
        define(v)
    for name, v in graph.constants.items():
        if v.data is None or name != v.name:
            raise VerificationError(f"{where}: constant {name!r} has no data or a mismatched name")
        if tuple(v.data.shape) != v.shape or v.data.dtype != v.dtype.numpy():
            raise VerificationError(f"{where}: constant {name!r} data does not match its type {v.type}")
        define(v)

    uses: dict[int, int] = {}
    node_names: set[str] = set()
    for node in graph.nodes:
        label = f"{where}: node {node.name!r} ({node.op.name})"
        if node.name in node_names:
            raise VerificationError(f"{label}: node name is used twice")
        node_names.add(node.name)
        for v in node.inputs:
            if id(v) not in defined:
                raise VerificationError(
                    f"{label}: input {v.name!r} is used before it is defined "
                    "(the node order must respect dependencies; a cycle also shows up here)"
                )
            uses[id(v)] = uses.get(id(v), 0) + 1
        _check_types(node, label)
        for out in node.outputs:
            if out.producer is not node:
                raise VerificationError(f"{label}: output {out.name!r} names another producer")
            define(out)

    for v in graph.values():
        if len(v.users) != uses.get(id(v), 0):
            raise VerificationError(f"{where}: use-list of {v.name!r} does not match its operands")
    for v in graph.outputs:
        if id(v) not in defined:
            raise VerificationError(f"{where}: output {v.name!r} is not defined in the graph")


def _check_types(node, label: str) -> None:  # type: ignore[no-untyped-def]
    op = node.op
    if op.max_inputs >= 0 and not op.min_inputs <= len(node.inputs) <= op.max_inputs:
        raise VerificationError(f"{label}: takes {op.min_inputs}..{op.max_inputs} inputs, has {len(node.inputs)}")
    try:
        expected = op.infer([v.type for v in node.inputs], node.attrs)
    except ShapeError as err:
        raise VerificationError(f"{label}: {err}") from None
    for out, want in zip(node.outputs, expected):
        if out.type != want:
            raise VerificationError(f"{label}: output {out.name!r} is {out.type}, inference says {want}")
