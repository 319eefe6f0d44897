"""What the canonicalization passes share: the pattern-pass base and two small helpers."""

from __future__ import annotations

from dataclasses import dataclass

from tessera.ir.driver import apply_patterns
from tessera.ir.graph import Graph, Value
from tessera.ir.rewriter import RewritePattern, Rewriter
from tessera.passes.base import Pass, PassResult, Report


@dataclass(frozen=True)
class Rewrites:
    """A pattern pass's patterns, freshly built, and the report they fill in as they fire."""

    report: Report
    patterns: tuple[RewritePattern, ...]


class PatternPass(Pass):
    """A pass that is a set of rewrite patterns. Run alone, it drives its patterns to a fixpoint;
    `canonicalize` drives the patterns of all its steps together, in one worklist."""

    def rewrites(self) -> Rewrites:
        raise NotImplementedError(f"pattern pass {type(self).__name__} defines no rewrites()")

    def run(self, graph: Graph) -> PassResult:
        rewrites = self.rewrites()
        count = apply_patterns(graph, rewrites.patterns)
        return PassResult(graph, count > 0, rewrites.report)


def can_bypass(out: Value, source: Value, rw: Rewriter) -> bool:
    """Whether readers of `out` can read `source` instead with every graph output keeping its name
    and no weight or input being renamed: fine unless `out` is a graph output and `source` is not a
    node output, or is a graph output already."""
    if out not in rw.graph.outputs:
        return True
    return source.producer is not None and rw.can_replace(out, source)


def is_read(value: Value, graph: Graph) -> bool:
    return bool(value.users) or value in graph.outputs
