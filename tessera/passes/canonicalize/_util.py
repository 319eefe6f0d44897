"""Helpers shared by the canonicalization patterns."""

from __future__ import annotations

from tessera.ir.graph import Graph, Value
from tessera.ir.rewriter import Rewriter


def can_bypass(out: Value, source: Value, rw: Rewriter) -> bool:
    """Whether readers of `out` can read `source` instead with every graph output keeping its name
    and no weight or input being renamed: fine unless `out` is a graph output and `source` is not a
    node output, or is a graph output already."""
    if out not in rw.graph.outputs:
        return True
    return source.producer is not None and rw.can_replace(out, source)


def is_read(value: Value, graph: Graph) -> bool:
    return bool(value.users) or value in graph.outputs
