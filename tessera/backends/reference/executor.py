"""The reference executor: runs a graph node by node with each op's numpy kernel.

It is the numerical definition every other backend is checked against, so it checks too: inputs
against the graph's types, and every kernel result against the node's inferred type.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from tessera.errors import ExecutionError
from tessera.ir.graph import Graph, Value


def execute(graph: Graph, inputs: Mapping[str, np.ndarray], capture: bool = False) -> dict[str, np.ndarray]:
    """Run `graph` on `inputs` (keyed by graph input name). Returns the outputs keyed by name, or
    with `capture=True` every value of the graph (inputs, constants, intermediates, outputs)."""
    env: dict[int, np.ndarray] = {}
    _bind_inputs(graph, inputs, env)
    for v in graph.constants.values():
        env[id(v)] = v.data  # type: ignore[assignment]
    remaining = {} if capture else _use_counts(graph)
    for node in graph.nodes:
        args = [env[id(v)] for v in node.inputs]
        try:
            results = node.op.compute(args, node.attrs)
        except Exception as err:  # a kernel failing is reported with the node that failed
            raise ExecutionError(
                f"graph {graph.name!r}: node {node.name!r} ({node.op.name}) failed: {type(err).__name__}: {err}"
            ) from err
        for out, result in zip(node.outputs, results):
            env[id(out)] = _checked(result, out, node.name)
        if not capture:
            _release(node.inputs, remaining, env)
    if capture:
        return {v.name: env[id(v)] for v in graph.values()}
    return {v.name: env[id(v)] for v in graph.outputs}


def _bind_inputs(graph: Graph, inputs: Mapping[str, np.ndarray], env: dict[int, np.ndarray]) -> None:
    expected = {v.name for v in graph.inputs}
    missing, extra = sorted(expected - set(inputs)), sorted(set(inputs) - expected)
    if missing or extra:
        raise ExecutionError(
            f"graph {graph.name!r} takes inputs {sorted(expected)}; missing {missing}, unexpected {extra}"
        )
    for v in graph.inputs:
        arr = np.asarray(inputs[v.name])
        if arr.shape != v.shape or arr.dtype != v.dtype.numpy():
            raise ExecutionError(
                f"graph {graph.name!r}: input {v.name!r} must be {v.type} "
                f"({v.dtype.value}, shape {list(v.shape)}), got {arr.dtype} {list(arr.shape)}"
            )
        env[id(v)] = arr


def _checked(result: np.ndarray, out: Value, node: str) -> np.ndarray:
    result = np.asarray(result)
    if result.shape != out.shape or result.dtype != out.dtype.numpy():
        raise ExecutionError(
            f"node {node!r}: kernel returned {result.dtype}{list(result.shape)} for {out.name!r}, "
            f"its type is {out.type} (kernel and inference disagree)"
        )
    return result


def _use_counts(graph: Graph) -> dict[int, int]:
    counts = {id(v): len(v.users) for v in graph.values()}
    for v in graph.outputs:
        counts[id(v)] = counts.get(id(v), 0) + 1  # outputs are never released
    for v in graph.constants.values():
        counts[id(v)] += 1
    return counts


def _release(values: tuple[Value, ...], remaining: dict[int, int], env: dict[int, np.ndarray]) -> None:
    for v in values:
        remaining[id(v)] -= 1
        if remaining[id(v)] == 0:
            del env[id(v)]
