"""Where the cpu target's time goes: kernel time by kind (conv, depthwise, other) per model run, with
each conv rule of the fixed schedule on and off, interleaved in one process (same machine load).

    PYTHONPATH=. python benchmarks/cpu_kernels.py --models mobilenetv2 --repeat 5
    PYTHONPATH=. python benchmarks/cpu_kernels.py --layers --threads 1   # single depthwise kernels, GFLOP/s

Columns: "all rules" is the default fixed schedule; "no channel blocks" gives every depthwise conv
the plane layout (vectorized along output columns) instead of 8-channel vectors; "no depthwise rule"
gives depthwise convs the generic rule (the schedule before depthwise_schedule.py); "no 16x4 tiles"
gives every regular conv 8-channel tiles (the schedule before the 16 x 4 tile); "per-call weight pack"
repacks constant conv weights on every call (the schedule before packed_conv.py); "no flat 1x1"
keeps 14-wide pointwise convs on 8 x 7 tiles instead of 16 x 4 tiles over the flattened plane.
Kernel times come from the VirtualMachine's instrument hook, summed per run; 1 thread. Then the
slowest conv kernels of the default schedule, each with its GFLOP/s (FLOPs from the conv block's
iterations).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import os
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

import tessera
from tessera.backends.cpu import conv_schedule, depthwise_schedule, packed_conv
from tessera.backends.cpu.runtime import set_threads
from tessera.cli import random_inputs

VARIANTS = (
    "all rules",
    "no channel blocks",
    "no depthwise rule",
    "no 16x4 tiles",
    "per-call weight pack",
    "no flat 1x1",
)
KINDS = ("conv", "depthwise", "other")
TOP = 12  # conv kernels listed with their GFLOP/s


@contextlib.contextmanager
def variant(name: str) -> Iterator[None]:
    saved = (
        depthwise_schedule.is_depthwise,
        depthwise_schedule.channel_blocked,
        conv_schedule.tile_shape,
        packed_conv.packable,
        conv_schedule.tile_width,
    )
    if name == "no channel blocks":
        depthwise_schedule.channel_blocked = lambda *shape: False
    if name == "no depthwise rule":
        depthwise_schedule.is_depthwise = lambda sch, block: False
    if name == "no 16x4 tiles":
        conv_schedule.tile_shape = lambda f, w: (8, next(t for t in conv_schedule.COLUMN_TILES if w % t == 0))
    if name == "per-call weight pack":
        packed_conv.packable = lambda weight, groups, width: None
    if name == "no flat 1x1":
        conv_schedule.tile_width = lambda f, h, w, pointwise: w
    try:
        yield
    finally:
        (
            depthwise_schedule.is_depthwise,
            depthwise_schedule.channel_blocked,
            conv_schedule.tile_shape,
            packed_conv.packable,
            conv_schedule.tile_width,
        ) = saved


def kernel_table(graph: Any) -> dict[str, tuple[str, int]]:
    """Per kernel: its kind and, for convs, the FLOPs of one call (2 x the conv block's iterations)."""
    import tvm
    from tvm import s_tir

    from tessera.backends.cpu.build import host_target
    from tessera.backends.cpu.lower import lower
    from tessera.backends.cpu.tuning import prepare

    table = {}
    for gv, func in prepare(lower(graph), host_target(1)).functions_items():
        if not isinstance(func, tvm.tirx.PrimFunc):
            continue
        text = func.script()
        kind = "depthwise" if "group_conv2d" in text else "conv" if "conv2d_nchw" in text else "other"
        sch = s_tir.Schedule(func)
        flops = 0
        for block in sch.get_child_blocks(sch.get_sblock("root")):
            stmt = sch.get(block)
            if stmt.name_hint.startswith(("conv2d_nchw", "group_conv2d")):
                flops = 2 * int(np.prod([int(iv.dom.extent) for iv in stmt.iter_vars]))
        table[gv.name_hint] = (kind, flops)
    return table


def measure_model(name: str, repeat: int) -> None:
    from tessera import zoo  # type: ignore[attr-defined]

    model = zoo.get(name)
    graph = tessera.compile(tessera.load(model.module, example_inputs=model.example_inputs)).graph
    inputs = random_inputs(graph, 0)
    reference = tessera.run(graph, inputs)
    modules, kernels = {}, {}
    for label in VARIANTS:
        with variant(label):
            modules[label] = tessera.compile(graph, target="cpu", target_options={"threads": 1}).artifact.module
            if label == VARIANTS[0]:
                per_kernel = set(kernel_table(graph))
            kernels.update(kernel_table(graph))  # kernel names differ between variants (packed convs)
        out = modules[label].run(inputs)
        err = max(float(np.max(np.abs(reference[k] - out[k]))) for k in reference)
        print(f"{name} [{label}]: max |error| vs reference {err:.2e}")
    times = {label: collections.defaultdict(float) for label in VARIANTS}
    walls: dict[str, list[float]] = collections.defaultdict(list)
    current, start = [VARIANTS[0]], {}
    calls: dict[str, int] = collections.defaultdict(int)
    kernel_times: dict[str, float] = collections.defaultdict(float)

    def hook(func: Any, symbol: str, before: bool, ret: Any, *args: Any) -> int:
        if before:
            start[symbol] = time.perf_counter()
        else:
            elapsed = time.perf_counter() - start[symbol]
            times[current[0]][kernels.get(symbol, ("other", 0))[0]] += elapsed
            if current[0] == VARIANTS[0] and symbol in per_kernel:
                calls[symbol] += 1
                kernel_times[symbol] += elapsed
        return 0

    for module in modules.values():
        module._vm.set_instrument(hook)
        module.run(inputs)  # warm-up
    for label in VARIANTS:
        times[label].clear()
    calls.clear()
    kernel_times.clear()
    for _ in range(repeat):
        for label, module in modules.items():
            current[0] = label
            begin = time.perf_counter()
            module.run(inputs)
            walls[label].append(time.perf_counter() - begin)
    print(f"\n{name}, 1 thread, {repeat} interleaved runs: ms per run")
    print("| kernels | " + " | ".join(VARIANTS) + " |")
    print("|---|" + "---|" * len(VARIANTS))
    for kind in KINDS:
        print(f"| {kind} | " + " | ".join(f"{times[v][kind] / repeat * 1e3:.1f}" for v in VARIANTS) + " |")
    print("| run (median) | " + " | ".join(f"{np.median(walls[v]) * 1e3:.1f}" for v in VARIANTS) + " |")
    print(f"\n{name} [{VARIANTS[0]}]: the {TOP} slowest conv kernels (ms per run, GFLOP/s)")
    print("| kernel | kind | calls per run | ms per run | GFLOP/s |\n|---|---|---|---|---|")
    convs = [k for k in kernel_times if kernels[k][1]]
    for symbol in sorted(convs, key=lambda k: -kernel_times[k])[:TOP]:
        kind, flops = kernels[symbol]
        gflops = flops * calls[symbol] / kernel_times[symbol] / 1e9
        ms = kernel_times[symbol] / repeat * 1e3
        print(f"| {symbol} | {kind} | {calls[symbol] // repeat} | {ms:.2f} | {gflops:.1f} |")


LAYERS = [  # channels, size, stride, kernel: MobileNetV2's 3x3 depthwise convs, then 5x5 / 7x7 (MCUNet-like)
    (32, 112, 1, 3),
    (96, 112, 2, 3),
    (144, 56, 1, 3),
    (144, 56, 2, 3),
    (192, 28, 1, 3),
    (384, 14, 1, 3),
    (576, 14, 2, 3),
    (960, 7, 1, 3),
    (96, 56, 2, 5),
    (240, 14, 1, 5),
    (240, 14, 2, 7),
    (480, 7, 1, 7),
]
LAYER_VARIANTS = ("no depthwise rule", "no channel blocks", "all rules")


def measure_layers(repeat: int, threads: int) -> None:
    """Single depthwise kernels (bias + ReLU6): generic rule, plane layout only, and the default rule,
    interleaved (same machine load)."""
    import tvm
    from tvm import IRModule, te, topi

    from tessera.backends.cpu import schedule
    from tessera.backends.cpu.build import host_target

    print(f"{threads} thread(s), median of {repeat} interleaved rounds: ms (GFLOP/s)")
    print("| channels, size, stride, kernel | " + " | ".join(LAYER_VARIANTS) + " |\n|---|---|---|---|")
    for c, hw, stride, k in LAYERS:
        x, w = te.placeholder((1, c, hw, hw), name="x"), te.placeholder((c, 1, k, k), name="w")
        b = te.placeholder((1, c, 1, 1), name="b")
        y = topi.clip(topi.add(topi.nn.group_conv2d_nchw(x, w, stride, k // 2, 1, c), b), 0.0, 6.0)
        shapes = [(1, c, hw, hw), (c, 1, k, k), (1, c, 1, 1), tuple(int(d) for d in y.shape)]
        flops = 2 * c * k * k * shapes[-1][2] * shapes[-1][3]
        rng = np.random.default_rng(0)
        arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
        fns, args = [], []
        for label in LAYER_VARIANTS:
            with variant(label):
                mod, count, _ = schedule.apply(IRModule({"main": te.create_prim_func([x, w, b, y])}))
            assert count == 1
            fns.append(tvm.compile(mod, target=host_target(threads))["main"])
            args.append([tvm.runtime.tensor(a) for a in arrays])
            fns[-1](*args[-1])
        for out in args[1:]:
            np.testing.assert_allclose(out[-1].numpy(), args[0][-1].numpy(), rtol=1e-4, atol=1e-4)
        samples: list[list[float]] = [[] for _ in fns]
        for _ in range(repeat):
            for fn, a, times in zip(fns, args, samples):
                times.append(_median_ms(fn, a, 3))
        cells = [f"{np.median(t):.3f} ({flops / np.median(t) / 1e6:.1f})" for t in samples]
        print(f"| {c}, {hw}x{hw}, {stride}, {k}x{k} | " + " | ".join(cells) + " |")


def _median_ms(fn: Any, args: list[Any], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        begin = time.perf_counter()
        fn(*args)
        samples.append(time.perf_counter() - begin)
    return float(np.median(samples)) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="mobilenetv2", help="comma-separated zoo models (default mobilenetv2)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--layers", action="store_true", help="time single depthwise kernels instead of models")
    parser.add_argument("--threads", type=int, default=1, help="threads for --layers (models: 1)")
    args = parser.parse_args()
    if args.layers:
        os.environ.setdefault("TVM_NUM_THREADS", str(os.cpu_count() or 1))  # before TVM starts its pool
        set_threads(args.threads)
        measure_layers(max(args.repeat, 5), args.threads)
        return
    set_threads(1)
    for name in args.models.split(","):
        measure_model(name, args.repeat)


if __name__ == "__main__":
    main()
