"""The HE linear layers of MobileNetV2-CIFAR (width 1.0, 32x32) run under Microsoft SEAL, packed by
Cheetah and by the dense packing in the same run: per depthwise layer and in total (the 17 depthwise
layers, and with --layers all every one of the 53 linear layers), the plan's ciphertexts and
multiplies, SEAL's serialized bytes each way, the cost model's LAN / WAN latency
(tessera.passes.private.network), SEAL's measured compute (client encryption, server, client
decryption) and the measured latency (measured compute + measured bytes over the link + one round
trip), and the ratio Cheetah / dense. Every SEAL layer is checked against the fixed-point reference.

    python benchmarks/he.py --layers depthwise --repeat 3
    python benchmarks/he.py --layers all

Layers run one at a time (tessera.backends.he.measure_layers): one layer's plaintexts exist at once.
With --layers depthwise the other layers run in the clear in float; the figures of a layer do not
depend on the values it gets.
"""

from __future__ import annotations

import argparse
import time

import tessera
from benchmarks.binary_kernels_cpu import cpu_line
from tessera import zoo
from tessera.backends.he import measure_layers
from tessera.backends.he.report import HeLayer, HeReport
from tessera.ir.graph import Graph
from tessera.passes.private.layers import FoundLayer, linear_layers
from tessera.passes.private.layout import HeParams, HePlan
from tessera.passes.private.packings import plan_layer

PACKINGS = ("cheetah", "dense")


def mobilenetv2_cifar() -> Graph:
    model = zoo.get("mobilenetv2", dataset="cifar", resolution=32, width=1.0, num_classes=10)
    graph = tessera.load(model.module, example_inputs=model.example_inputs)
    return tessera.compile(graph, passes=["canonicalize"]).graph


def measured_report(graph: Graph, found: list[FoundLayer], packing: str, repeat: int) -> HeReport:
    params = HeParams()
    plan = HePlan(params, packing, {f.layer.node: plan_layer(f.layer, params, packing) for f in found})
    runs = {r.node: r for r in measure_layers(graph, plan, repeat=repeat)}
    rows = [HeLayer.of(layout, runs[node]) for node, layout in plan.layouts.items()]
    return HeReport(packing, params.n, params.plain_bits, params.scale_bits, False, True, rows)


def _geometry(f: FoundLayer) -> str:
    layer = f.layer
    return f"{layer.in_channels}x{layer.height}x{layer.width} s{layer.stride[0]}"


def _cells(r: HeLayer) -> list[str]:
    assert r.measured is not None
    m, x = r.modelled, r.measured
    f = x.figures
    return [
        str(r.input_cts),
        str(r.multiplies),
        str(r.returned_cts),
        f"{f.bytes_up / 1e6:.2f} / {f.bytes_down / 1e6:.2f}",
        f"{m.lan_s * 1e3:.0f} / {m.wan_s * 1e3:.0f}",
        f"{x.encrypt_s * 1e3:.0f} / {x.server_s * 1e3:.0f} / {x.decrypt_s * 1e3:.0f}",
        f"{f.lan_s * 1e3:.0f} / {f.wan_s * 1e3:.0f}",
    ]


HEAD = (
    "| {first} | packing | in cts | mults | back cts | up / down MB (SEAL) | model LAN / WAN ms "
    "| SEAL enc / server / dec ms | measured LAN / WAN ms |"
)


def _ratio(a: HeLayer, b: HeLayer) -> str:
    assert a.measured is not None and b.measured is not None
    fa, fb = a.measured.figures, b.measured.figures
    parts = [
        a.input_cts / b.input_cts,
        a.multiplies / b.multiplies,
        a.returned_cts / b.returned_cts,
        (fa.bytes_up + fa.bytes_down) / (fb.bytes_up + fb.bytes_down),
        a.modelled.lan_s / b.modelled.lan_s,
        a.modelled.wan_s / b.modelled.wan_s,
        fa.compute_s / fb.compute_s,
        fa.lan_s / fb.lan_s,
        fa.wan_s / fb.wan_s,
    ]
    cts, mults, back, size, mlan, mwan, comp, lan, wan = (f"{p:.2f}x" for p in parts)
    return f"{cts} | {mults} | {back} | {size} (bytes) | {mlan} / {mwan} | {comp} (compute) | {lan} / {wan}"


def print_tables(found: list[FoundLayer], reports: dict[str, HeReport], scope: str) -> None:
    rows = {p: {r.node: r for r in reports[p].layers} for p in PACKINGS}
    depthwise = [f for f in found if f.layer.kind == "depthwise"]
    print("\n### Depthwise layers\n")
    print(HEAD.format(first="layer"))
    print("|---" * 9 + "|")
    for f in depthwise:
        for p in PACKINGS:
            print(f"| {f.layer.node} ({_geometry(f)}) | {p} | " + " | ".join(_cells(rows[p][f.layer.node])) + " |")
    print(f"\n### Totals ({scope})\n")
    print(HEAD.format(first="layers"))
    print("|---" * 9 + "|")
    kinds: list[tuple[str | None, str]] = [("depthwise", f"depthwise ({len(depthwise)})")]
    if scope == "all":
        kinds.append((None, f"all ({len(found)})"))
    for kind, label in kinds:
        totals = {p: reports[p].total(kind) for p in PACKINGS}
        for p in PACKINGS:
            print(f"| {label} | {p} | " + " | ".join(_cells(totals[p])) + " |")
        print(f"| {label} | cheetah / dense | {_ratio(totals['cheetah'], totals['dense'])} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", choices=("depthwise", "all"), default="depthwise")
    parser.add_argument("--repeat", type=int, default=1, help="inferences per packing; each layer keeps its fastest")
    args = parser.parse_args()
    print(cpu_line())
    graph = mobilenetv2_cifar()
    found = linear_layers(graph)
    chosen = found if args.layers == "all" else [f for f in found if f.layer.kind == "depthwise"]
    start = time.perf_counter()
    reports = {p: measured_report(graph, chosen, p, args.repeat) for p in PACKINGS}
    print(
        f"MobileNetV2-CIFAR 32x32 width 1.0: {len(chosen)} of {len(found)} linear layers under SEAL "
        f"(BFV N=4096, t=2^37, scale 2^12), repeat {args.repeat}, {time.perf_counter() - start:.0f} s"
    )
    print_tables(found, reports, args.layers)
    print("\nmodel: the cost model's bytes and compute (SEAL_4096); measured: SEAL's serialized bytes and")
    print("seconds here, latency = measured compute + measured bytes * 8 / bandwidth + one RTT (LAN 3 Gbps,")
    print("0.3 ms; WAN 400 Mbps, 40 ms). Non-linear layers are not run under 2PC nor priced.")


if __name__ == "__main__":
    main()
