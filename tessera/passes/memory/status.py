"""How a planner or scheduler ended: one enum for every `status` in the memory reports (serialized
as its value, e.g. "optimal")."""

from __future__ import annotations

from enum import StrEnum


class SolveStatus(StrEnum):
    OPTIMAL = "optimal"  # proven: equal to the lower bound, or a solver proved it
    FEASIBLE = "feasible"  # a solver stopped on time with a valid answer
    HEURISTIC = "heuristic"  # a heuristic's answer, not proven optimal
    BUDGET_EXCEEDED = "budget-exceeded"  # the search ran out of states; the start order is kept
    KEPT_GIVEN_ORDER = "kept-given-order"  # the scheduler lost to the order it was given, which stays
    INFEASIBLE = "infeasible"
    UNKNOWN = "unknown"  # a solver stopped before it found anything
    MODEL_INVALID = "model_invalid"
