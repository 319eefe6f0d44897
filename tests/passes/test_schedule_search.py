"""The cut bound and the band search against brute force over all topological orders."""

import pytest
from hypothesis import given, settings
from sched_dags import brute_force_peak, random_dag, topological_orders

from tessera.ir import Graph
from tessera.passes.memory.model import HMCOS, PLAIN, MemoryModel
from tessera.passes.memory.schedule.band import band_search
from tessera.passes.memory.schedule.bounds import CutBound, proven_bound
from tessera.passes.memory.schedule.fusion import fuse
from tessera.passes.memory.schedule.problem import build_problem
from tessera.passes.memory.schedule.structure import lower_bound

MODELS = [PLAIN, HMCOS, MemoryModel(inplace=True, workspace=lambda n: 4 * len(n.inputs))]


@settings(max_examples=40, deadline=None, derandomize=True)
@given(random_dag(max_nodes=8))
@pytest.mark.parametrize("model", MODELS, ids=["plain", "inplace", "workspace"])
def test_cut_bound_is_the_least_memory_any_order_has_at_each_node(model: MemoryModel, g: Graph) -> None:
    p = build_problem(g, model)
    least: list[int | None] = [None] * p.n
    best: int | None = None
    for order in topological_orders(p):
        curve = p.curve(order)
        best = max(curve) if best is None else min(best, max(curve))
        for step, k in enumerate(order):
            least[k] = curve[step] if least[k] is None else min(least[k], curve[step])
    cut = CutBound(p)
    assert [cut.at(k) for k in range(p.n)] == least
    assert lower_bound(p) <= proven_bound(p) <= best


@settings(max_examples=30, deadline=None, derandomize=True)
@given(random_dag(max_nodes=9))
@pytest.mark.parametrize("model", MODELS[:2], ids=["plain", "inplace"])
def test_band_search_is_exact_without_a_cut_and_only_returns_better_orders(model: MemoryModel, g: Graph) -> None:
    p = build_problem(g, model)
    start = list(range(p.n))
    upper = p.peak(start)
    whole = band_search(p, fuse(p), start, upper + 1, width=p.n, cap=10**9)
    assert whole is not None
    p.check_order(whole)
    assert p.peak(whole) == brute_force_peak(p)
    narrow = band_search(p, fuse(p), start, upper, width=2, cap=2)
    if narrow is not None:
        p.check_order(narrow)
        assert p.peak(narrow) < upper
