"""Liveness model and arena planning on hand-built and random DAGs."""

import pytest
from conftest import chain_graph
from hypothesis import given, settings
from hypothesis import strategies as st

from tessera.errors import PassError
from tessera.ir import DType, Graph, TensorType
from tessera.ir.liveness import lifetimes, memory_profile
from tessera.ir.ops import lookup
from tessera.passes.memory import plan_arena


@st.composite
def random_dag(draw: st.DrawFn) -> Graph:
    """Up to 12 nodes; each node is Relu of one earlier tensor or Concat of two, random widths."""
    g = Graph("dag")
    values = [g.add_input("x", TensorType(DType.FLOAT32, (1, draw(st.integers(1, 64)))))]
    for i in range(draw(st.integers(1, 12))):
        a = values[draw(st.integers(0, len(values) - 1))]
        if draw(st.booleans()) and len(values) > 1:
            b = values[draw(st.integers(0, len(values) - 1))]
            values.append(g.add_node(lookup("Concat"), [a, b], {"axis": 1}, name=f"n{i}").output)
        else:
            values.append(g.add_node(lookup("Relu"), [a], name=f"n{i}").output)
    g.outputs.extend(v for v in values[1:] if not v.users)
    return g


def simulated_peak(graph: Graph) -> int:
    """Step-by-step: allocate each output when its node runs, free a tensor after its last reader."""
    remaining = {
        id(v): len({id(u) for u in v.users}) for v in [*graph.inputs, *(o for n in graph.nodes for o in n.outputs)]
    }
    keep = {id(v) for v in graph.outputs}
    live = {id(v): v.type.nbytes for v in graph.inputs}
    peak = 0
    for n in graph.nodes:
        for o in n.outputs:
            live[id(o)] = o.type.nbytes
        peak = max(peak, sum(live.values()))
        for v in {id(v): v for v in n.inputs if v.producer is not None or v in graph.inputs}.values():
            remaining[id(v)] -= 1
            if remaining[id(v)] == 0 and id(v) not in keep:
                live.pop(id(v), None)
        for o in n.outputs:
            if not o.users and id(o) not in keep:
                live.pop(id(o), None)
    return peak


def test_chain_lifetimes_and_peak() -> None:
    g = chain_graph()
    spans = {t.value: (t.first, t.last) for t in lifetimes(g)}
    assert spans["x"] == (0, 2)  # read again by the last node
    prof = memory_profile(g)
    assert prof.curve == (48, 72, 72) and prof.peak_bytes == 72
    assert prof.peak_step == 1 and set(prof.peak_values) == {"x", "add", "relu"}


@settings(max_examples=60, deadline=None)
@given(random_dag())
def test_peak_matches_simulation_and_arena_never_overlaps(g: Graph) -> None:
    assert memory_profile(g).peak_bytes == simulated_peak(g)
    plan = plan_arena(g, alignment=1)
    plan.check()
    assert plan.arena_bytes >= plan.peak_bytes


def test_unknown_planner_is_named() -> None:
    with pytest.raises(PassError, match="unknown arena planner 'magic'; available: greedy-by-size"):
        plan_arena(chain_graph(), method="magic")
