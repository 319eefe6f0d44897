"""MCU binary kernels against the MCU target's float Conv, on an emulated Cortex-M4 (QEMU mps2-an386,
-icount shift=0): instructions per kernel from one profiled run (PROFILE=1 per-step counts, SysTick at
40-instruction resolution) of one graph that holds both, on the same input:

    float:  y = Conv(x, W, bias), 3x3, pads 1                     (tk_conv2d_f32)
    binary: y = BinaryConv(PackBits(x), PackBits(W)), alpha, bias  (tk_pack_bits_f32, tk_binary_conv2d)

    PYTHONPATH=. python benchmarks/binary_kernels_mcu.py [--size 64] [--channels 64]

Default: 64 -> 64 channels on a 64x64 map (x, the float output and the binary output are 1 MiB each in
float32; with the packed map they fit the board's 4 MiB data SRAM, so link.ld is sized to the board).
The binary output is checked bit for bit against the reference executor, the float one for its error.
`rows()` / `weight_rows()` return the tables (benchmarks/binarize.py prints them too); `main()` prints them.
"""

from __future__ import annotations

import argparse
import platform
import re
import subprocess
from typing import Any

import numpy as np

import tessera
from tessera.backends.reference import execute
from tessera.ir import DType, Graph, TensorType
from tessera.ir.ops.binary import BinaryConv, PackBits
from tessera.ir.ops.conv import Conv

BOARD_KB = 4096
HEAD = ("shape", "float conv", "PackBits", "BinaryConv", "PackBits+BinaryConv", "float/BinaryConv",
        "float/(PackBits+BinaryConv)", "BinaryConv instr/output", "binary vs reference")  # fmt: skip
WEIGHT_HEAD = ("weights", "float32 bytes", "packed bytes", "float/packed")


def conv_graph(size: int, channels: int, seed: int = 0) -> Graph:
    """x -> float Conv 3x3 pads 1 and x -> PackBits -> BinaryConv (the signs of the same weights)."""
    rng = np.random.default_rng(seed)
    g = Graph(f"bconv_{channels}x{size}")
    x = g.add_input("x", TensorType(DType.FLOAT32, (1, channels, size, size)))
    w = (rng.standard_normal((channels, channels, 3, 3)) * 0.1).astype(np.float32)
    bias = (rng.standard_normal(channels) * 0.1).astype(np.float32)
    pads = {"pads": (1, 1, 1, 1)}
    fw, fb = g.add_constant("w", w), g.add_constant("b", bias)
    y_float = g.add_node(Conv, [x, fw, fb], pads, name="float_conv").output
    bits = g.add_node(PackBits, [x], name="pack").output
    (packed,) = PackBits.compute([w], {})
    alpha = tuple(float(a) for a in np.abs(w).mean(axis=(1, 2, 3)))
    attrs = {"channels": channels, "alpha": alpha, "bias": tuple(float(b) for b in bias), **pads}
    y_bin = g.add_node(BinaryConv, [bits, g.add_constant("w_bits", packed)], attrs, name="binary_conv").output
    g.outputs += [y_float, y_bin]
    return g


def measure(size: int = 64, channels: int = 64) -> dict[str, Any]:
    """One profiled QEMU run: instructions per step, the outputs' check, the weights' flash bytes."""
    graph = conv_graph(size, channels)
    board = {"ram_kb": BOARD_KB, "flash_kb": BOARD_KB}
    result = tessera.compile(graph, target="mcu", passes=[], target_options=board)
    artifact = result.artifact
    inputs = {"x": np.random.default_rng(1).standard_normal((1, channels, size, size)).astype(np.float32)}
    got, stats = artifact.run_with_stats(inputs, on="qemu", profile=True)
    want = execute(result.graph, inputs)
    y_float, y_bin = (v.name for v in result.graph.outputs)
    steps = {node: count for node, _, count in stats.steps}
    tables = {t.comment: t.data.nbytes for t in artifact.cmodel.tables}
    return {
        "shape": f"{channels}->{channels} 3x3 pads 1, {size}x{size}",
        "float": steps["float_conv"],
        "pack": steps["pack"],
        "binary": steps["binary_conv"],
        "outputs": channels * size * size,
        "bit_exact": bool(np.array_equal(got[y_bin].view(np.uint32), want[y_bin].view(np.uint32))),
        "float_err": float(np.max(np.abs(got[y_float].astype(np.float64) - want[y_float]))),
        "float_bytes": tables["w"],
        "packed_bytes": tables["w_bits.kernel_order"],
    }


def rows(size: int = 64, channels: int = 64, m: dict[str, Any] | None = None) -> list[tuple[str, ...]]:
    """The instruction table's one row (HEAD): float Conv, PackBits, BinaryConv on QEMU Cortex-M4."""
    m = m or measure(size, channels)
    both = m["pack"] + m["binary"]
    check = "bit-exact" if m["bit_exact"] else "DIFFERS"
    return [(m["shape"], f"{m['float'] / 1e6:.1f}M", f"{m['pack'] / 1e6:.2f}M", f"{m['binary'] / 1e6:.2f}M",
             f"{both / 1e6:.2f}M", f"{m['float'] / m['binary']:.1f}x", f"{m['float'] / both:.1f}x",
             f"{m['binary'] / m['outputs']:.0f}", check)]  # fmt: skip


def weight_rows(m: dict[str, Any]) -> list[tuple[str, ...]]:
    """Flash bytes of the conv weights: float32 versus packed uint32 words (WEIGHT_HEAD)."""
    f, p = m["float_bytes"], m["packed_bytes"]
    return [(m["shape"], str(f), str(p), f"{f / p:.1f}x")]


def host_cpu() -> str:
    """The host's CPU model and SIMD flags (QEMU's counts do not depend on it; recorded all the same)."""
    text = subprocess.run(["lscpu"], capture_output=True, text=True).stdout if platform.system() == "Linux" else ""
    model = re.search(r"Model name:\s*(.+)", text)
    flags = sorted(set(re.findall(r"\b(avx2|avx512\w*)\b", text)))
    return f"{model.group(1).strip() if model else platform.processor()} ({', '.join(flags) or 'no avx2/avx512'})"


def print_table(head: tuple[str, ...], body: list[tuple[str, ...]]) -> None:
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" for _ in head) + "|")
    for row in body:
        print("| " + " | ".join(row) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=64, help="height = width of the feature map")
    parser.add_argument("--channels", type=int, default=64, help="input = output channels")
    args = parser.parse_args()
    m = measure(args.size, args.channels)
    print(f"QEMU mps2-an386 Cortex-M4, -icount shift=0, PROFILE=1 per-step instructions; host {host_cpu()}")
    print(f"float conv max abs error vs reference: {m['float_err']:.2g}")
    print_table(HEAD, rows(m=m))
    print()
    print_table(WEIGHT_HEAD, weight_rows(m))


if __name__ == "__main__":
    main()
