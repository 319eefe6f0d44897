"""The cpu target's options (`compile(..., target="cpu", target_options={...})`, `tessera targets`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from tessera.errors import TargetError


@dataclass(frozen=True)
class CpuOptions:
    tune: int = field(
        default=0,
        metadata={"help": "MetaSchedule trials in total (0: untuned, fixed schedules); needs tuning_db", "flag": True},
    )
    tuning_db: str | None = field(
        default=None,
        metadata={"help": "folder of the tuning database, reused by later compiles (none: nothing kept)", "flag": True},
    )
    threads: int | None = field(
        default=None, metadata={"help": "worker threads at run time (none: one per core)", "flag": True}
    )
    schedule: Literal["fixed", "tvm"] = field(
        default="fixed",
        metadata={"help": "kernels MetaSchedule did not tune: 'fixed' (parallel + vectorized) or 'tvm' (TVM's loops)"},
    )

    def __post_init__(self) -> None:
        if self.tune < 0:
            raise TargetError(f"target 'cpu' option tune must be a non-negative trial count, got {self.tune!r}")
        if self.threads is not None and self.threads < 1:
            raise TargetError(f"target 'cpu' option threads must be a positive integer, got {self.threads!r}")
        if self.tune and not self.tuning_db:
            raise TargetError("target 'cpu' option tune needs tuning_db=FOLDER to keep the tuning records")
