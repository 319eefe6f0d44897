"""What to suggest when a model does not fit the MCU's RAM: only what has not been done yet and would
act on this model's peak, each named with the pass or option that does it."""

from __future__ import annotations

from collections.abc import Sequence

from tessera.ir.graph import Graph

from .options import McuOptions

QUANTIZED_OPS = "tessera.ir.ops.quantized"  # quantized.py, quantized_eltwise.py, quantized_nn.py
CONV_OPS = ("Conv", "QLinearConv", "QConv")


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
        tips.append("quantize to int8 (the quantize-int8 pass, with calibration inputs)")
    convs = [i for i, n in enumerate(graph.nodes) if n.op.name in CONV_OPS]
    if convs and 0 <= peak_step < len(graph.nodes) and peak_step <= convs[len(convs) // 2]:
        tips.append("run the early high-resolution CNN layers patch by patch (the patch-based pass)")
    float_io = [v.name for v in (*graph.inputs, *graph.outputs) if v.name in live and v.dtype.is_float]
    if int8 and float_io:
        tips.append(
            f"make the float inputs/outputs in the peak ({', '.join(float_io)}) int8 (quantize-int8 with int8_io=True)"
        )
    inputs = [v.name for v in graph.inputs if v.name in live]
    if inputs and not options.caller_inputs:
        tips.append(f"read the input ({', '.join(inputs)}) from the caller's buffer (target option inputs='caller')")
    tips.append("use a smaller input, or raise ram_kb")
    return tips
