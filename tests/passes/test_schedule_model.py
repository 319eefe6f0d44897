"""The memory model and every scheduler's order: topological, and the peak each reports equals an
independent simulation; parts of an order reproduce its curve; arena offsets of the order never clash."""

import numpy as np
import pytest
from conftest import chain_graph
from hypothesis import given, settings
from hypothesis import strategies as st
from sched_dags import random_dag

from tessera.errors import PassError
from tessera.ir import Graph
from tessera.ir.liveness import memory_profile
from tessera.ir.verifier import verify
from tessera.passes.memory import plan_arena
from tessera.passes.memory.model import HMCOS, PLAIN, MemoryModel, model_profile
from tessera.passes.memory.schedule import SCHEDULERS, schedule
from tessera.passes.memory.schedule.decompose import part
from tessera.passes.memory.schedule.problem import build_problem


def simulate(graph: Graph, model: MemoryModel) -> int:
    """Step by step on the IR: allocate outputs, let an in-place node reuse a dying input, free after
    the last reader. Written apart from Problem.curve on purpose."""
    users_left = {id(v): len({id(u) for u in v.users}) for v in [*graph.inputs, *(o for n in graph for o in n.outputs)]}
    kept = {id(v) for v in graph.outputs}
    const = sum(v.type.nbytes for v in graph.constants.values()) if model.include_constants else 0
    live = {id(v): v.type.nbytes for v in graph.inputs}
    peak = 0
    for n in graph:
        dying = {id(v) for v in n.inputs if id(v) in live and users_left[id(v)] == 1 and id(v) not in kept}
        alias = model.alias_input(n)
        reuse = alias.type.nbytes if alias is not None and id(alias) in dying else 0
        for o in n.outputs:
            live[id(o)] = o.type.nbytes
        peak = max(peak, const + sum(live.values()) + model.workspace_of(n) - reuse)
        for v in {id(v) for v in n.inputs if id(v) in users_left}:
            users_left[v] -= 1
        for v in dying:
            del live[v]
        for o in n.outputs:
            if not o.users and id(o) not in kept:
                del live[id(o)]
    return peak


MODELS = [PLAIN, HMCOS, MemoryModel(inplace=True, include_constants=True, workspace=lambda n: 8 * len(n.inputs))]


@settings(max_examples=30, deadline=None, derandomize=True)
@given(random_dag(max_nodes=12), st.sampled_from(range(len(MODELS))))
def test_every_scheduler_gives_a_topological_order_whose_peak_is_simulated(g: Graph, which: int) -> None:
    model = MODELS[which]
    for method in SCHEDULERS:
        r = schedule(g, method, time_limit_s=2.0, model=model)
        h = g.copy()
        h.reorder([h.node(name) for name in r.order])  # the verifier checks dependencies
        verify(h)
        assert r.peak_bytes == simulate(h, model) == model_profile(h, model=model).peak_bytes
        assert r.lower_bound_bytes <= r.peak_bytes
        plan = plan_arena(h, alignment=1)
        plan.check()
        assert plan.arena_bytes >= plan.peak_bytes


def test_plain_model_is_the_ir_liveness_model() -> None:
    g = chain_graph()
    assert model_profile(g).curve == memory_profile(g).curve


def test_inplace_workspace_and_constants_on_a_chain() -> None:
    g = chain_graph()  # x(24B) -> add(x, b) -> relu -> mul(., x)
    assert model_profile(g).peak_bytes == 72  # x, add, relu
    # add cannot overwrite x (mul reads it later); relu overwrites add; mul overwrites relu
    assert model_profile(g, model=HMCOS).curve == (48, 48, 48)
    ws = MemoryModel(workspace=lambda n: 100 if n.name == "relu" else 0)
    assert model_profile(g, model=ws).curve == (48, 172, 72)
    consts = MemoryModel(include_constants=True)
    assert model_profile(g, model=consts).curve == tuple(c + 12 for c in (48, 72, 72))
    assert "<workspace:relu>" in model_profile(g, model=ws).peak_values


@settings(max_examples=30, deadline=None, derandomize=True)
@given(random_dag(max_nodes=12), st.data())
def test_a_part_reproduces_the_curve_of_its_steps(g: Graph, data: st.DataObject) -> None:
    p = build_problem(g, HMCOS)
    order = list(range(p.n))
    a = data.draw(st.integers(0, p.n - 1))
    b = data.draw(st.integers(a + 1, p.n))
    piece = part(p, order, a, b)
    assert piece.problem.curve(range(b - a)) == p.curve(order)[a:b]


def test_bad_method_and_limit_are_named() -> None:
    with pytest.raises(PassError, match="unknown scheduling method 'magic'; available: imported"):
        schedule(chain_graph(), "magic")
    with pytest.raises(PassError, match="time_limit_s must be positive"):
        schedule(chain_graph(), "ilp", time_limit_s=0)


def test_empty_graph_schedules() -> None:
    g = Graph("empty")
    r = schedule(g, "ilp")
    assert r.order == () and r.optimal and np.isclose(r.gap, 0.0)
