"""Statuses in the memory reports are SolveStatus values, serialized as their strings."""

from __future__ import annotations

import json

from conftest import chain_graph

from tessera.passes import get_pass
from tessera.passes.memory.arena import plan_arena
from tessera.passes.memory.status import SolveStatus


def test_arena_and_schedule_statuses_are_enums() -> None:
    arena = get_pass("memory-plan").run(chain_graph()).report
    schedule = get_pass("memory-schedule").run(chain_graph()).report
    assert plan_arena(chain_graph()).status is SolveStatus.OPTIMAL
    for report in (arena, schedule):
        assert isinstance(report.status, SolveStatus)  # type: ignore[attr-defined]
        value = report.to_dict()["status"]
        assert type(value) is str and value == report.status.value  # type: ignore[attr-defined]
        assert json.loads(json.dumps(report.to_dict()))["status"] == value


def test_every_status_a_solver_names_is_a_member() -> None:
    for name in ("optimal", "feasible", "infeasible", "unknown", "model_invalid", "heuristic", "budget-exceeded"):
        assert SolveStatus(name).value == name
