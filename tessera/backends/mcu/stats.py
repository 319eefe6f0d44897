"""What one run of the MCU build measured."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RunStats:
    """What one run measured. On QEMU: instructions (SysTick under -icount, 40-instruction resolution),
    per step when profiled, and the ELF's sizes."""

    on: str
    instructions: int | None
    steps: tuple[tuple[str, str, int], ...] = ()  # (node, op, instructions)
    text: int | None = None
    data: int | None = None
    bss: int | None = None

    @property
    def flash_bytes(self) -> int | None:
        return None if self.text is None or self.data is None else self.text + self.data

    @property
    def ram_bytes(self) -> int | None:
        return None if self.data is None or self.bss is None else self.data + self.bss
