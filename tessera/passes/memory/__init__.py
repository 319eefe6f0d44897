"""Memory: the liveness model, schedulers that lower the liveness peak, and arena planning."""

from tessera.ir.liveness import Lifetime, MemoryProfile, lifetimes, memory_profile, profile
from tessera.passes.memory.arena import PLANNERS, ArenaPlan, greedy_by_size, plan_arena
from tessera.passes.memory.model import MemoryModel, model_lifetimes, model_profile
from tessera.passes.memory.plan_pass import ArenaReport, MemoryPlan
from tessera.passes.memory.schedule import SCHEDULERS, ScheduleResult, schedule
from tessera.passes.memory.schedule_pass import MemorySchedule, ScheduleReport

__all__ = [
    "PLANNERS",
    "SCHEDULERS",
    "ArenaPlan",
    "ArenaReport",
    "Lifetime",
    "MemoryModel",
    "MemoryPlan",
    "MemoryProfile",
    "MemorySchedule",
    "ScheduleReport",
    "ScheduleResult",
    "greedy_by_size",
    "lifetimes",
    "memory_profile",
    "model_lifetimes",
    "model_profile",
    "plan_arena",
    "profile",
    "schedule",
]
