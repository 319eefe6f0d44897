"""The memory-over-time figure of a report: live bytes per step (the liveness curve), the arena in
use per step, and the arena layout (one box per tensor: steps across, offsets up). Matplotlib is
optional: without it `memory_png` returns None and the report says so."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tessera.ir.liveness import Lifetime, MemoryProfile


@dataclass(frozen=True)
class ArenaView:
    """An arena plan to draw: aligned lifetimes with their offsets, and the arena size."""

    method: str
    arena_bytes: int
    spans: tuple[Lifetime, ...]
    offsets: Mapping[str, int]

    def high_water(self, steps: int) -> list[int]:
        """The highest arena byte in use at each step."""
        top = [0] * steps
        for t in self.spans:
            end = self.offsets[t.value] + t.size
            for s in range(t.first, min(t.last, steps - 1) + 1):
                top[s] = max(top[s], end)
        return top


def have_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def memory_png(prof: MemoryProfile, arena: ArenaView | None, title: str) -> bytes | None:
    """The figure as PNG bytes, or None when matplotlib is not installed."""
    if not have_matplotlib():
        return None
    from matplotlib.figure import Figure

    rows = 2 if arena is not None else 1
    fig = Figure(figsize=(9, 3.2 * rows), dpi=100, layout="constrained")
    axes = fig.subplots(rows, 1, sharex=True, squeeze=False)[:, 0]
    _curves(axes[0], prof, arena, title)
    if arena is not None:
        _layout(axes[1], arena, prof.peak_step)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _curves(ax, prof: MemoryProfile, arena: ArenaView | None, title: str) -> None:  # type: ignore[no-untyped-def]
    steps = list(range(len(prof.curve)))
    ax.step(steps, _kib(prof.curve), where="mid", color="#1f77b4", label="live activations (liveness)")
    ax.plot([prof.peak_step], [prof.peak_bytes / 1024], "o", color="#d62728", label=f"peak at step {prof.peak_step}")
    if arena is not None:
        ax.step(steps, _kib(arena.high_water(len(steps))), where="mid", color="#ff7f0e", label="arena in use")
        ax.axhline(arena.arena_bytes / 1024, color="#ff7f0e", ls="--", lw=1, label=f"arena ({arena.method})")
    ax.set_ylabel("KiB")
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize=8)
    ax.grid(alpha=0.3)


def _layout(ax, arena: ArenaView, peak_step: int) -> None:  # type: ignore[no-untyped-def]
    from matplotlib.collections import PolyCollection

    boxes = []
    for t in arena.spans:
        x0, x1 = t.first - 0.45, t.last + 0.45
        y0, y1 = arena.offsets[t.value] / 1024, (arena.offsets[t.value] + t.size) / 1024
        boxes.append([(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
    colors = [f"C{i % 10}" for i in range(len(boxes))]
    ax.add_collection(PolyCollection(boxes, facecolors=colors, edgecolors="black", linewidths=0.3, alpha=0.8))
    ax.axhline(arena.arena_bytes / 1024, color="#ff7f0e", ls="--", lw=1)
    ax.axvline(peak_step, color="#d62728", lw=0.8)
    ax.set_ylim(0, max(arena.arena_bytes / 1024, 1e-3) * 1.05)
    ax.autoscale(axis="x")
    ax.set_xlabel("step (node in execution order)")
    ax.set_ylabel("arena offset (KiB)")
    ax.set_title("arena layout: one box per tensor", fontsize=10)


def _kib(values: Sequence[int]) -> list[float]:
    return [v / 1024 for v in values]
