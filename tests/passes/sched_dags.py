"""Random DAGs and brute force for the scheduler tests (a helper module, not a test file)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np
from hypothesis import strategies as st

from tessera.ir import DType, Graph, TensorType
from tessera.ir.ops import lookup
from tessera.passes.memory.schedule.problem import Problem


@st.composite
def random_dag(draw: st.DrawFn, max_nodes: int = 10) -> Graph:
    """Relu (in place), Mul by a constant (in place), Add of two same-width tensors (in place),
    Concat (grows), on widths drawn at random."""
    g = Graph("dag")
    values = [g.add_input("x", TensorType(DType.FLOAT32, (1, draw(st.integers(1, 16)))))]
    for i in range(draw(st.integers(2, max_nodes))):
        a = values[draw(st.integers(0, len(values) - 1))]
        kind = draw(st.sampled_from(["relu", "mul", "add", "concat", "concat"]))
        same = [v for v in values if v.shape == a.shape]
        if kind == "add" and len(same) > 1:
            b = same[draw(st.integers(0, len(same) - 1))]
            values.append(g.add_node(lookup("Add"), [a, b], name=f"n{i}").output)
        elif kind == "concat" and len(values) > 1:
            b = values[draw(st.integers(0, len(values) - 1))]
            values.append(g.add_node(lookup("Concat"), [a, b], {"axis": 1}, name=f"n{i}").output)
        elif kind == "mul":
            c = g.add_constant(f"c{i}", np.full((1,), 2.0, np.float32))
            values.append(g.add_node(lookup("Mul"), [a, c], name=f"n{i}").output)
        else:
            values.append(g.add_node(lookup("Relu"), [a], name=f"n{i}").output)
    g.outputs.extend(v for v in values[1:] if not v.users)
    return g


def topological_orders(p: Problem) -> Iterator[list[int]]:
    preds = [set(p.preds(k)) for k in range(p.n)]

    def extend(order: list[int], done: set[int]) -> Iterator[list[int]]:
        if len(order) == p.n:
            yield list(order)
            return
        for k in range(p.n):
            if k not in done and preds[k] <= done:
                order.append(k)
                done.add(k)
                yield from extend(order, done)
                order.pop()
                done.remove(k)

    yield from extend([], set())


def brute_force_peak(p: Problem, units: list[list[int]] | None = None) -> int:
    """The lowest peak over all topological orders (keeping each unit back to back, if given)."""
    best = None
    for order in topological_orders(p):
        if units is not None and not runs_units_together(order, units):
            continue
        peak = p.peak(order)
        best = peak if best is None else min(best, peak)
    assert best is not None
    return best


def runs_units_together(order: list[int], units: list[list[int]]) -> bool:
    pos = {k: i for i, k in enumerate(order)}
    return all(pos[b] == pos[a] + 1 for u in units for a, b in itertools.pairwise(u))
