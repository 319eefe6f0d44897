"""Which layers `binarize` rewrites: convolutions and matrix products with constant float weights
whose binary form pack-binary can run, the chosen ones by name pattern or all but the first and last."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass

from tessera.errors import PassError
from tessera.ir.graph import Graph, Node
from tessera.ir.ops.binary import WORD_BITS
from tessera.ir.ops.conv import Conv
from tessera.ir.ops.linalg import Gemm, MatMul


@dataclass(frozen=True)
class Kept:
    """A layer binarize left in full precision, and why."""

    name: str
    op: str
    reason: str


def candidates(graph: Graph) -> tuple[list[Node], list[Kept]]:
    """The weight layers in graph order that can be binarized, and the others with the reason."""
    able, kept = [], []
    for node in graph.nodes:
        if node.op not in (Conv, MatMul, Gemm):
            continue
        reason = why_not(node)
        if reason is None:
            able.append(node)
        else:
            kept.append(Kept(node.name, node.op.name, reason))
    return able, kept


def why_not(node: Node) -> str | None:
    """None when `node` can be binarized, else the reason it cannot."""
    w = node.inputs[1]
    if w.data is None or w.dtype.numpy().kind != "f":
        return "its weights are not a float constant"
    if node.op is Conv:
        group, channels = node.attrs["group"], node.inputs[0].shape[1]
        if group > 1 and (channels // group) % WORD_BITS:
            return (
                f"group {group} leaves {channels // group} channels per group; BinaryConv needs group 1 or a "
                f"multiple of {WORD_BITS} channels per group (depthwise convolutions stay float)"
            )
        return None
    if w.type.rank != 2:
        return f"its weights {w.type} are not a 2-D matrix"
    if node.op is Gemm and (node.attrs["transA"] or node.attrs["alpha"] != 1.0 or node.attrs["beta"] != 1.0):
        return "a Gemm with transA or alpha / beta other than 1"
    return None


def choose(graph: Graph, patterns: Sequence[str], keep_first_last: bool) -> tuple[list[Node], list[Kept]]:
    """The layers to binarize and those kept (with why). `patterns` are fnmatch patterns of node names;
    empty means every candidate, less the first and last when `keep_first_last`."""
    able, kept = candidates(graph)
    if patterns:
        return _by_pattern(graph, able, kept, patterns)
    if keep_first_last and able:
        ends = [able[0]] if len(able) == 1 else [able[0], able[-1]]
        for node, where in zip(ends, ("first", "last")):
            kept.append(Kept(node.name, node.op.name, f"the {where} layer stays in full precision (keep_first_last)"))
        able = [n for n in able if n not in ends]
    return able, kept


def _by_pattern(
    graph: Graph, able: list[Node], kept: list[Kept], patterns: Sequence[str]
) -> tuple[list[Node], list[Kept]]:
    reasons = {k.name: k.reason for k in kept}
    layers = [n.name for n in able] + list(reasons)
    for pattern in patterns:
        if not any(fnmatch.fnmatchcase(name, pattern) for name in layers):
            raise PassError(
                f"binarize on {graph.name!r}: layers pattern {pattern!r} matches no convolution or matrix product; "
                f"the candidates are {', '.join(n.name for n in able[:8])}{' ...' if len(able) > 8 else ''}"
            )
        if pattern in reasons:  # named exactly: say why it cannot be
            raise PassError(f"binarize on {graph.name!r}: layer {pattern!r} cannot be binarized: {reasons[pattern]}")
    chosen = [n for n in able if any(fnmatch.fnmatchcase(n.name, p) for p in patterns)]
    rest = [Kept(n.name, n.op.name, "not among the chosen layers") for n in able if n not in chosen]
    return chosen, kept + rest
