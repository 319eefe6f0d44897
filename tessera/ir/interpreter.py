"""The reference interpreter: runs a graph node by node with each op's numpy kernel.

It is the numerical definition every backend is checked against, so it checks too: inputs against
the graph's types, and every kernel result against the node's inferred type. Like torch.fx's
Interpreter, `run` calls `run_node` for every node, so a subclass can observe or change each value
(calibration, debugging):

    class Ranges(Interpreter):
        def run_node(self, node, args):
            results = super().run_node(node, args)
            ...  # look at results
            return results
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from tessera.errors import ExecutionError
from tessera.ir.graph import Graph, Node, Value
from tessera.ir.inputs import check_inputs, declared_inputs


class Interpreter:
    """Runs `graph`. Values nobody reads any more are released as the run goes, unless captured."""

    def __init__(self, graph: Graph):
        self.graph = graph

    def run(self, inputs: Mapping[str, np.ndarray], *, capture: bool = False) -> dict[str, np.ndarray]:
        """The outputs keyed by name, or with `capture=True` every value of the graph (inputs,
        constants, intermediates, outputs)."""
        graph = self.graph
        env = self.bind_inputs(inputs)
        for v in graph.constants.values():
            env[id(v)] = v.data  # type: ignore[assignment]
        remaining = {} if capture else _use_counts(graph)
        for node in graph.nodes:
            results = self.run_node(node, [env[id(v)] for v in node.inputs])
            if len(results) < len(node.outputs):
                raise ExecutionError(
                    f"graph {graph.name!r}: node {node.name!r} ({node.op.name}) produced {len(results)} "
                    f"results for {len(node.outputs)} outputs"
                )
            env.update((id(out), result) for out, result in zip(node.outputs, results))
            if not capture:
                _release(node.inputs, remaining, env)
        values = graph.values() if capture else iter(graph.outputs)
        return {v.name: env[id(v)] for v in values}

    def run_node(self, node: Node, args: Sequence[np.ndarray]) -> list[np.ndarray]:
        """One node's results from its input arrays: the op's kernel, checked against the types."""
        try:
            results = node.op.compute(list(args), node.attrs)
        except Exception as err:  # a kernel failing is reported with the node that failed
            raise ExecutionError(
                f"graph {self.graph.name!r}: node {node.name!r} ({node.op.name}) failed: {type(err).__name__}: {err}"
            ) from err
        return [_checked(result, out, node.name) for out, result in zip(node.outputs, results)]

    def bind_inputs(self, inputs: Mapping[str, np.ndarray]) -> dict[int, np.ndarray]:
        """The environment holding the graph inputs; every input must match its declared type
        (`check_inputs`, the check every run entry point makes)."""
        graph = self.graph
        arrays = check_inputs(graph.name, declared_inputs(graph.inputs), inputs)
        return {id(v): arrays[v.name] for v in graph.inputs}


def execute(graph: Graph, inputs: Mapping[str, np.ndarray], capture: bool = False) -> dict[str, np.ndarray]:
    """Run `graph` on `inputs` (keyed by graph input name). Returns the outputs keyed by name, or
    with `capture=True` every value of the graph (inputs, constants, intermediates, outputs)."""
    return Interpreter(graph).run(inputs, capture=capture)


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
