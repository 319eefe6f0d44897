"""Exact schedulers against brute force over all topological orders, on random DAGs."""

import pytest
from hypothesis import given, settings
from sched_dags import brute_force_peak, random_dag

from tessera.ir import Graph
from tessera.passes.memory.model import HMCOS, PLAIN, MemoryModel
from tessera.passes.memory.schedule import schedule
from tessera.passes.memory.schedule.dp import solve_dp
from tessera.passes.memory.schedule.fusion import fuse
from tessera.passes.memory.schedule.ilp import solve_ilp
from tessera.passes.memory.schedule.problem import build_problem
from tessera.passes.memory.schedule.structure import lower_bound, topology

MODELS = [PLAIN, HMCOS]


@settings(max_examples=30, deadline=None, derandomize=True)
@given(random_dag(max_nodes=9))
@pytest.mark.parametrize("model", MODELS, ids=["plain", "inplace"])
def test_ilp_and_dp_match_brute_force_and_fusion_keeps_the_optimum(model: MemoryModel, g: Graph) -> None:
    p = build_problem(g, model)
    best = brute_force_peak(p)
    units = fuse(p)
    assert brute_force_peak(p, units) == best  # fusion never changes the optimum
    topo = topology(p)
    assert lower_bound(p, topo) <= best
    ilp = solve_ilp(p, topo, units, list(range(p.n)), lower_bound(p, topo), time_limit_s=5.0)
    assert ilp.proven and ilp.peak == best and ilp.bound == best
    dp = solve_dp(p, units, upper_bound=p.peak(range(p.n)) + 1)
    assert dp.proven and dp.order is not None and dp.peak == best == p.peak(dp.order)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(random_dag(max_nodes=9))
def test_schedule_methods_reach_the_optimum_or_say_they_did_not(g: Graph) -> None:
    p = build_problem(g, HMCOS)
    best = brute_force_peak(p)
    for method in ("ilp", "dp"):
        r = schedule(g, method, time_limit_s=5.0, model=HMCOS)
        assert r.optimal and r.peak_bytes == best == r.lower_bound_bytes and r.gap == 0.0
    for method in ("imported", "rpo", "greedy", "hmcos", "lns"):
        r = schedule(g, method, time_limit_s=2.0, model=HMCOS)
        assert r.lower_bound_bytes <= best <= r.peak_bytes
        assert r.optimal == (r.peak_bytes == r.lower_bound_bytes)


@settings(max_examples=20, deadline=None, derandomize=True)
@given(random_dag(max_nodes=12))
def test_ilp_is_never_worse_than_any_heuristic(g: Graph) -> None:
    methods = ("imported", "rpo", "greedy", "hmcos", "lns")
    peaks = {m: schedule(g, m, time_limit_s=1.0, model=HMCOS).peak_bytes for m in methods}
    assert schedule(g, "ilp", time_limit_s=1.0, model=HMCOS).peak_bytes <= min(peaks.values())


def test_hmcos_lns_and_ilp_are_deterministic_for_a_limit() -> None:
    from _pass_helpers import random_graph

    g = random_graph(7, size=60)
    for method in ("hmcos", "lns", "ilp"):
        first, second = (schedule(g, method, time_limit_s=1.0, model=HMCOS) for _ in range(2))
        assert first.order == second.order and first.lower_bound_bytes == second.lower_bound_bytes


@settings(max_examples=20, deadline=None, derandomize=True)
@given(random_dag(max_nodes=9))
@pytest.mark.parametrize("model", MODELS, ids=["plain", "inplace"])
def test_dp_dominance_rule_keeps_the_optimum(model: MemoryModel, g: Graph) -> None:
    """The forced-move rule (a ready unit that frees what it makes and stays within the peak so far,
    or a proven floor, runs next) prunes states but never the optimum, fused or not."""
    p = build_problem(g, model)
    best = brute_force_peak(p)
    singles = [[k] for k in range(p.n)]
    for units in (singles, fuse(p)):
        full = solve_dp(p, units, upper_bound=p.peak(range(p.n)) + 1, dominance=False)
        for floor in (0, lower_bound(p), best):
            dp = solve_dp(p, units, upper_bound=p.peak(range(p.n)) + 1, floor=floor)
            assert dp.proven and dp.order is not None and dp.peak == best == p.peak(dp.order)
            assert dp.states <= full.states
            p.check_order(dp.order)
        none = solve_dp(p, units, upper_bound=best, floor=best)  # nothing below the optimum
        assert none.proven and none.order is None
