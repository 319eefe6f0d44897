"""What a scheduler returns on the integer problem."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """What a scheduler returns on the integer problem."""

    order: list[int]
    lower_bound: int = 0  # 0: use the structural bound
    optimal: bool = False
    status: str = "heuristic"
    detail: Mapping[str, int | float | str] | None = None


# Work units a heuristic may spend per second of its time limit: one unit is one DP state (or one
# candidate order simulated, counted as n/64 units). Calibrated so that the work of a limit takes
# about half of it on a loaded 2-core machine, so results depend on the limit, not on the clock.
WORK_PER_S = 10_000


@dataclass
class Budget:
    """Deterministic work left (see WORK_PER_S), and a wall-clock deadline as a safety net only."""

    work: int
    deadline: float

    @classmethod
    def for_limit(cls, time_limit_s: float, share: float = 1.0) -> Budget:
        start = time.perf_counter()
        return cls(int(WORK_PER_S * time_limit_s * share), start + time_limit_s * share)

    def spend(self, units: int) -> None:
        self.work -= units

    @property
    def exhausted(self) -> bool:
        return self.work <= 0 or time.perf_counter() >= self.deadline
