"""Memory: the liveness model, schedulers that lower the liveness peak, and arena planning."""

from tessera.ir.liveness import Lifetime, MemoryProfile, lifetimes, memory_profile, profile
from tessera.passes.memory.arena import PLANNERS, ArenaPlan, greedy_by_size, plan_arena
from tessera.passes.memory.plan_pass import ArenaReport, MemoryPlan

__all__ = [
    "PLANNERS",
    "ArenaPlan",
    "ArenaReport",
    "Lifetime",
    "MemoryPlan",
    "MemoryProfile",
    "greedy_by_size",
    "lifetimes",
    "memory_profile",
    "plan_arena",
    "profile",
]
