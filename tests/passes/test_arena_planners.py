"""The arena planners: valid plans on random DAGs, best-fit never worse than TFLM's greedy, CP-SAT
equal to brute force on small instances."""

import itertools

import pytest
from arena_dags import random_dag
from hypothesis import given, settings
from hypothesis import strategies as st

from tessera.errors import PassError
from tessera.ir import Graph
from tessera.ir.liveness import Lifetime
from tessera.passes.memory import PLANNERS, ArenaPlan, plan_arena
from tessera.passes.memory.best_fit import _choose_gap, arena_size, best_fit, candidates, max_load
from tessera.passes.memory.cpsat_arena import cpsat

# greedy-by-size puts t1 (3) at 0, t0 at 3, t2 at 0, then t3 only fits at 5: arena 7. The max load
# (step 2: t0 + t2 + t3) is 6, reached by t0 at 0, t1 and t2 at 2, t3 at 4.
HARD = [Lifetime("t0", 2, 0, 2), Lifetime("t1", 3, 0, 1), Lifetime("t2", 2, 2, 5), Lifetime("t3", 2, 2, 2)]

# Every best-fit heuristic needs 9 here; the optimum is the max load, 8: CP-SAT must search for it.
BEST_FIT_LOSES = [
    Lifetime("t0", 4, 4, 6),
    Lifetime("t1", 3, 2, 4),
    Lifetime("t2", 1, 3, 3),
    Lifetime("t3", 2, 1, 2),
    Lifetime("t4", 4, 5, 5),
    Lifetime("t5", 5, 0, 1),
]


def brute_force_arena(spans: list[Lifetime]) -> int:
    """The optimum: for an optimal plan, placing tensors by increasing offset at the lowest gap puts
    each no higher than in that plan, so the best permutation with lowest-gap placement is optimal."""
    best = None
    for perm in itertools.permutations(spans):
        offsets: dict[str, int] = {}
        for t in perm:
            taken = sorted((offsets[o.value], o.size) for o in perm if o.value in offsets and o.overlaps(t))
            offsets[t.value] = _choose_gap(taken, t.size, tightest=False)
        size = arena_size(spans, offsets)
        best = size if best is None else min(best, size)
    return best or 0


@st.composite
def random_spans(draw: st.DrawFn, max_tensors: int = 6) -> list[Lifetime]:
    spans = []
    for i in range(draw(st.integers(1, max_tensors))):
        first = draw(st.integers(0, 6))
        spans.append(Lifetime(f"t{i}", draw(st.integers(1, 8)), first, draw(st.integers(first, 7))))
    return spans


def test_hard_instance_greedy_loses_best_fit_and_cpsat_reach_the_bound() -> None:
    assert arena_size(HARD, PLANNERS["greedy-by-size"](HARD)) == 7
    assert max_load(HARD) == 6 == brute_force_arena(HARD)
    assert arena_size(HARD, best_fit(HARD)) == 6
    placed = cpsat(HARD, time_limit_s=5)
    assert placed.status == "optimal" and arena_size(HARD, placed.offsets) == 6


def test_cpsat_improves_on_best_fit_when_the_heuristics_miss() -> None:
    assert arena_size(BEST_FIT_LOSES, best_fit(BEST_FIT_LOSES)) == 9
    assert brute_force_arena(BEST_FIT_LOSES) == 8
    placed = cpsat(BEST_FIT_LOSES, time_limit_s=5)
    assert placed.status == "optimal" and arena_size(BEST_FIT_LOSES, placed.offsets) == 8
    ArenaPlan("cp-sat", 8, 8, 1, placed.offsets, tuple(BEST_FIT_LOSES)).check()


def test_every_candidate_is_valid_on_the_hard_instance() -> None:
    for name, offsets in candidates(HARD):
        plan = ArenaPlan(name, arena_size(HARD, offsets), 6, 1, offsets, tuple(HARD))
        plan.check()


@settings(max_examples=40, deadline=None)
@given(random_spans())
def test_cpsat_equals_brute_force(spans: list[Lifetime]) -> None:
    placed = cpsat(spans, time_limit_s=5)
    optimum = brute_force_arena(spans)
    assert placed.status == "optimal"
    assert arena_size(spans, placed.offsets) == optimum
    assert placed.lower_bound_bytes <= optimum
    assert arena_size(spans, best_fit(spans)) >= optimum


@settings(max_examples=30, deadline=None)
@given(random_dag(), st.sampled_from([1, 16]))
def test_every_planner_gives_a_valid_aligned_plan(g: Graph, alignment: int) -> None:
    plans = {name: plan_arena(g, name, alignment, time_limit_s=5) for name in PLANNERS}
    for plan in plans.values():
        plan.check()  # aligned offsets, inside the arena, no overlap of tensors live together
        assert all(off % alignment == 0 for off in plan.offsets.values())
        assert plan.arena_bytes >= plan.lower_bound_bytes >= plan.peak_bytes
        assert plan.optimal == (plan.status == "optimal")
    assert plans["best-fit"].arena_bytes <= plans["greedy-by-size"].arena_bytes
    assert plans["cp-sat"].arena_bytes <= plans["best-fit"].arena_bytes


def test_check_rejects_overlap_misalignment_and_missing_offsets() -> None:
    spans = (Lifetime("a", 16, 0, 1), Lifetime("b", 16, 1, 2))
    with pytest.raises(PassError, match="overlaps 'a' and 'b'"):
        ArenaPlan("x", 32, 32, 16, {"a": 0, "b": 0}, spans).check()
    with pytest.raises(PassError, match="not a multiple of 16"):
        ArenaPlan("x", 48, 32, 16, {"a": 0, "b": 24}, spans).check()
    with pytest.raises(PassError, match="no offset to 'b'"):
        ArenaPlan("x", 32, 32, 16, {"a": 0}, spans).check()
    with pytest.raises(PassError, match="outside 16 B"):
        ArenaPlan("x", 16, 32, 16, {"a": 0, "b": 16}, spans).check()


def test_cpsat_needs_a_positive_time_limit() -> None:
    with pytest.raises(PassError, match="positive time limit"):
        cpsat(HARD, time_limit_s=0)
