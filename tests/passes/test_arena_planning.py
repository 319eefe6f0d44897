"""Liveness model and arena planning on hand-built and random DAGs."""

import pytest
from arena_dags import random_dag, simulated_peak
from conftest import chain_graph
from hypothesis import given, settings

from tessera.errors import PassError
from tessera.ir import Graph
from tessera.ir.liveness import lifetimes, memory_profile
from tessera.passes.memory import plan_arena


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
    with pytest.raises(PassError, match="unknown arena planner 'magic'; available: best-fit, cp-sat, greedy-by-size"):
        plan_arena(chain_graph(), method="magic")
