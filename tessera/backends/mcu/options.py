"""The MCU target's options (`compile(..., target="mcu", target_options={...})`, `tessera targets`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from tessera.errors import TargetError

DEFAULT_RAM_KB = 256  # SRAM of the linker script when no ram_kb is given (a typical Cortex-M4 part)
DEFAULT_FLASH_KB = 4096  # the MPS2 AN386 code memory


@dataclass(frozen=True)
class McuOptions:
    ram_kb: float | None = field(
        default=None,
        metadata={
            "help": "SRAM budget in KiB: refuse a model whose arena + stack + harness buffers do not fit; "
            f"sizes link.ld (none: {DEFAULT_RAM_KB} KiB, still checked)",
            "flag": True,
        },
    )
    flash_kb: float | None = field(
        default=None,
        metadata={
            "help": "flash budget in KiB: refuse a model whose weights + code estimate do not fit; sizes "
            f"link.ld (none: {DEFAULT_FLASH_KB} KiB, still checked)",
            "flag": True,
        },
    )
    inputs: Literal["arena", "caller"] = field(
        default="arena",
        metadata={
            "help": "'arena': inputs live in the arena; 'caller': the model reads each input in place from a "
            "buffer the caller owns (tessera_model_set_input), so the arena holds none"
        },
    )
    planner: str = field(
        default="best-fit", metadata={"help": "arena planner: one of tessera.passes.memory.arena.PLANNERS"}
    )
    inplace: bool = field(
        default=True,
        metadata={
            "help": "let kernels write their output over an input they read last (depthwise conv, elementwise "
            "ops, reshapes); false plans every tensor its own slot"
        },
    )

    def __post_init__(self) -> None:
        from tessera.passes.memory.arena import PLANNERS

        for key in ("ram_kb", "flash_kb"):
            value = getattr(self, key)
            if value is not None and value <= 0:
                raise TargetError(f"target 'mcu' option {key} must be a positive number of KiB, got {value!r}")
        if self.planner not in PLANNERS:
            raise TargetError(
                f"target 'mcu' option planner must be one of {', '.join(sorted(PLANNERS))}, got {self.planner!r}"
            )

    @property
    def caller_inputs(self) -> bool:
        return self.inputs == "caller"

    @property
    def link_ram_kb(self) -> float:
        return self.ram_kb or DEFAULT_RAM_KB

    @property
    def link_flash_kb(self) -> float:
        return self.flash_kb or DEFAULT_FLASH_KB
