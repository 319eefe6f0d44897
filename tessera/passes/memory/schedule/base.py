"""What a scheduler returns on the integer problem."""

from __future__ import annotations

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
