"""What to suggest when a model does not fit the MCU's RAM: only what has not been done yet and would
act on this model's peak, each named with the pass or option that does it."""

from __future__ import annotations

from collections.abc import Sequence

from tessera.ir.graph import Graph

from .options import McuOptions

QUANTIZED_OPS = "tessera.ir.ops.quantized"  # quantized.py, quantized_eltwise.py, quantized_nn.py
CONV_OPS = ("Conv", "QLinearConv", "QConv")
TILING_OPS = "tessera.ir.ops.tiling"  # what patch-based leaves in a graph
QUANTIZE_TIP = (
    "quantize to int8 (passes=[..., 'quantize-int8'] with calibration=[...]; CLI: --quantize int8 --calibration "
    "cal.npz)"
)
PATCH_TIP = (
    "run the early high-resolution CNN layers patch by patch (passes=[..., 'patch-based'], after quantize-int8; "
    "with inputs='caller' use get_pass('patch-based', count_inputs=False), CLI: --pass-option "
    "patch-based.count_inputs=false; docs/tiling.md)"
)


def is_int8(graph: Graph) -> bool:
    """Quantized already: an op of tessera/ir/ops/quantized*.py runs in the graph."""
    return any(_module(n.op).startswith(QUANTIZED_OPS) for n in graph.nodes)


def _module(op: object) -> str:
    return (op if isinstance(op, type) else type(op)).__module__


def memory_scheduled(graph: Graph) -> bool:
    """The node order is still the one the memory-schedule pass produced."""
    return graph.memory_schedule == tuple(n.name for n in graph.nodes)


def ram_advice(graph: Graph, peak_step: int, peak_values: Sequence[str], options: McuOptions) -> list[str]:
    """Suggestions for a model over its RAM budget, given where its liveness peak is and what is live."""
    live = set(peak_values)
    int8 = is_int8(graph)
    tips = []
    if not memory_scheduled(graph):
        tips.append("reorder the nodes with the memory-schedule pass (passes=[..., 'memory-schedule'])")
    if not int8:
        tips.append(QUANTIZE_TIP)
    convs = [i for i, n in enumerate(graph.nodes) if n.op.name in CONV_OPS]
    patched = any(_module(n.op).startswith(TILING_OPS) for n in graph.nodes)
    if convs and not patched and 0 <= peak_step < len(graph.nodes) and peak_step <= convs[len(convs) // 2]:
        tips.append(PATCH_TIP)
    float_io = [v.name for v in (*graph.inputs, *graph.outputs) if v.name in live and v.dtype.is_float]
    if int8 and float_io:
        tips.append(
            f"make the float inputs/outputs in the peak ({', '.join(float_io)}) int8 (quantize-int8 with "
            "int8_io=True: tessera.quantize(graph, calibration, int8_io=True), or "
            "get_pass('quantize-int8', int8_io=True))"
        )
    inputs = [v.name for v in graph.inputs if v.name in live]
    if inputs and not options.caller_inputs:
        tips.append(f"read the input ({', '.join(inputs)}) from the caller's buffer (target option inputs='caller')")
    tips.append("use a smaller input, or raise ram_kb")
    return tips
