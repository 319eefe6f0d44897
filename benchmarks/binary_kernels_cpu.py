"""Binary kernels of the cpu target against its own float Conv of the same shape: 3x3 convs 64 -> 64
(pads 1) on square maps, each kernel compiled by the cpu target (tessera.compile, fixed schedules) as
a one-node graph, timed in one process with interleaved repeats (same machine load), medians.

    PYTHONPATH=. python benchmarks/binary_kernels_cpu.py
    PYTHONPATH=. python benchmarks/binary_kernels_cpu.py --sizes 64 --repeat 50

Columns: the float Conv (with bias), PackBits of its float input, BinaryConv of the packed input (per
channel alpha and bias, constant packed weights), the two as one graph, and the speed-ups
float / BinaryConv and float / (PackBits + BinaryConv). Each figure is the median over --repeat
rounds of the median of 5 calls to the VirtualMachine's main on prepared tensors (no input checks or
copies). The CPU model and its ISA (lscpu's AVX-512 and AVX2 flags) print first. `rows()` gives the
table as data (benchmarks/binarize.py prints it beside its own).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import tessera
from tessera.ir import DType, Graph, TensorType
from tessera.ir.ops.binary import BinaryConv, PackBits, words
from tessera.ir.ops.conv import Conv

CHANNELS = 64
KERNELS = ("float conv", "PackBits", "BinaryConv", "PackBits+BinaryConv")
CALLS = 5  # calls per round; the round's figure is their median


@dataclass(frozen=True)
class Row:
    size: int
    threads: int
    ms: dict[str, float]  # kernel -> median ms

    @property
    def speedup(self) -> float:
        return self.ms["float conv"] / self.ms["BinaryConv"]

    @property
    def speedup_with_pack(self) -> float:
        return self.ms["float conv"] / self.ms["PackBits+BinaryConv"]


def graphs(size: int, seed: int = 0) -> dict[str, Graph]:
    """The four one-kernel graphs of a 3x3 64 -> 64 conv (pads 1) on a size x size map."""
    rng = np.random.default_rng(seed)
    c = CHANNELS
    x_type = TensorType(DType.FLOAT32, (1, c, size, size))
    weight = rng.standard_normal((c, c, 3, 3)).astype(np.float32)
    (packed,) = PackBits.compute([weight], {})
    conv = {"pads": (1, 1, 1, 1)}
    binary = {
        **conv,
        "channels": c,
        "alpha": tuple(rng.uniform(0.5, 2, c).tolist()),
        "bias": tuple(rng.standard_normal(c).tolist()),
    }
    out: dict[str, Graph] = {}
    g = out["float conv"] = Graph("float_conv")
    x = g.add_input("x", x_type)
    bias = g.add_constant("b", rng.standard_normal(c).astype(np.float32))
    g.outputs.append(g.add_node(Conv, [x, g.add_constant("w", weight), bias], conv).output)
    g = out["PackBits"] = Graph("pack_bits")
    g.outputs.append(g.add_node(PackBits, [g.add_input("x", x_type)]).output)
    g = out["BinaryConv"] = Graph("binary_conv")
    xp = g.add_input("x", TensorType(DType.UINT32, (1, words(c), size, size)))
    g.outputs.append(g.add_node(BinaryConv, [xp, g.add_constant("w", packed)], binary).output)
    g = out["PackBits+BinaryConv"] = Graph("pack_binary_conv")
    xp = g.add_node(PackBits, [g.add_input("x", x_type)]).output
    g.outputs.append(g.add_node(BinaryConv, [xp, g.add_constant("w", packed)], binary).output)
    return out


def _prepared(graph: Graph) -> tuple[Any, list[Any]]:
    """(the VM's main, its input tensors) of `graph` compiled for the cpu target."""
    import tvm

    module = tessera.compile(graph, target="cpu").artifact.module
    rng = np.random.default_rng(1)
    args = []
    for v in graph.inputs:
        if v.dtype is DType.UINT32:
            data = rng.integers(0, 2**32, v.shape, dtype=np.uint32)
        else:
            data = rng.standard_normal(v.shape).astype(np.float32)
        args.append(tvm.runtime.tensor(data))
    return module._main, args


def _round_ms(fn: Any, args: list[Any]) -> float:
    samples = []
    for _ in range(CALLS):
        start = time.perf_counter()
        fn(*args)
        samples.append(time.perf_counter() - start)
    return float(np.median(samples)) * 1e3


def rows(sizes: Sequence[int] = (32, 64, 128), threads: Sequence[int] | None = None, repeat: int = 20) -> list[Row]:
    """Median ms of each kernel per (size, threads): 1 thread and all cores unless `threads` says."""
    os.environ.setdefault("TVM_NUM_THREADS", str(os.cpu_count() or 1))  # before TVM starts its pool
    from tessera.backends.cpu.runtime import set_threads

    counts = list(threads or sorted({1, os.cpu_count() or 1}))
    table = []
    for size in sizes:
        compiled = {name: _prepared(g) for name, g in graphs(size).items()}
        for count in counts:
            set_threads(count)
            for fn, args in compiled.values():
                fn(*args)  # warm-up
            samples: dict[str, list[float]] = {name: [] for name in compiled}
            for _ in range(repeat):
                for name, (fn, args) in compiled.items():
                    samples[name].append(_round_ms(fn, args))
            table.append(Row(size, count, {k: float(np.median(v)) for k, v in samples.items()}))
    return table


def cpu_line() -> str:
    """The CPU model and the SIMD extensions that matter here (from /proc/cpuinfo's flags)."""
    model, flags = platform.processor() or platform.machine(), set()
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name") and ":" in line:
                    model = line.split(":", 1)[1].strip()
                if line.startswith("flags") and ":" in line:
                    flags = set(line.split(":", 1)[1].split())
                    break
    except OSError:
        pass
    simd = sorted(f for f in flags if f.startswith("avx512") or f in ("avx2", "popcnt", "fma"))
    return f"CPU: {model}, {os.cpu_count()} cores; ISA: {' '.join(simd) or 'unknown'}"


def render(table: Sequence[Row]) -> str:
    head = "| map | threads | " + " | ".join(f"{k} ms" for k in KERNELS) + " | float/BinaryConv | float/(Pack+Binary) |"
    lines = [head, "|" + "---|" * (len(KERNELS) + 4)]
    for r in table:
        cells = " | ".join(f"{r.ms[k]:.3f}" for k in KERNELS)
        lines.append(f"| {r.size}x{r.size} | {r.threads} | {cells} | {r.speedup:.1f}x | {r.speedup_with_pack:.1f}x |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="32,64,128", help="comma-separated map sizes (default 32,64,128)")
    parser.add_argument("--threads", default=None, help="comma-separated thread counts (default: 1 and all cores)")
    parser.add_argument("--repeat", type=int, default=20, help="interleaved rounds per figure (default 20)")
    args = parser.parse_args()
    print(cpu_line())
    sizes = [int(s) for s in args.sizes.split(",")]
    threads = [int(t) for t in args.threads.split(",")] if args.threads else None
    print(f"3x3 conv {CHANNELS} -> {CHANNELS}, pads 1, batch 1; median of {args.repeat} interleaved rounds")
    print(render(rows(sizes, threads, args.repeat)))


if __name__ == "__main__":
    main()
