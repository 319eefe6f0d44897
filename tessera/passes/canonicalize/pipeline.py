"""`canonicalize`: the canonicalization patterns of all its steps, driven together to a fixpoint.

Dead code goes first, so that dead readers do not stop a BN from folding into its Conv (which would
turn it into Mul + Add for good), then while the patterns run (a node nothing reads is erased when
the worklist reaches it), and last the constants the rewrites left unread (old weights).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tessera.errors import PassError
from tessera.ir.driver import drive
from tessera.ir.graph import Graph
from tessera.ir.rewriter import RewritePattern, Rewriter
from tessera.passes.base import Pass, PassResult, Report
from tessera.passes.canonicalize._util import PatternPass
from tessera.passes.canonicalize.dce import DCEReport
from tessera.passes.registry import available_passes, get_pass, register_pass

STEPS: tuple[str, ...] = ("dce", "remove-identity", "fold-constants", "fold-batchnorm", "simplify-shapes")


@dataclass
class CanonicalizeReport(Report):
    rounds: int = 0  # sweeps of the rewrite driver; when converged, the last one found nothing to do
    converged: bool = True
    steps: dict[str, Report] = field(default_factory=dict)  # per step name, what its part did

    def render_text(self) -> str:
        lines = [f"rounds: {self.rounds}{'' if self.converged else ' (stopped before a fixpoint)'}"]
        for name, report in self.steps.items():
            counts = ", ".join(f"{k}={v}" for k, v in report.to_dict().items() if v)
            lines.append(f"{name}: {counts or 'no change'}")
        return "\n".join(lines)


@register_pass
@dataclass(frozen=True)
class Canonicalize(Pass):
    """Drive the patterns of `steps` (pattern passes, and "dce" for dead code) together until none
    applies (at most `max_rounds` sweeps)."""

    name = "canonicalize"
    steps: tuple[str, ...] = field(
        default=STEPS, metadata={"help": "passes whose patterns run together ('dce': dead code before, during, after)"}
    )
    max_rounds: int = field(default=10, metadata={"help": "sweeps of the worklist at most, before giving up"})

    def __post_init__(self) -> None:
        if self.max_rounds < 1:
            raise PassError(f"canonicalize: max_rounds must be at least 1, got {self.max_rounds}; e.g. max_rounds=10")
        known = available_passes()
        unknown = [s for s in self.steps if s not in known or s == self.name]
        if unknown:
            raise PassError(
                f"canonicalize: steps has {', '.join(map(repr, unknown))}, not a pass it can run; "
                f"use passes among {', '.join(n for n in known if n != self.name)}"
            )

    def run(self, graph: Graph) -> PassResult:
        dce = "dce" in self.steps
        report = CanonicalizeReport()
        patterns: list[RewritePattern] = []
        for name in dict.fromkeys(self.steps):
            if name == "dce":
                report.steps[name] = DCEReport()
                continue
            rewrites = _pattern_pass(name).rewrites()
            report.steps[name] = rewrites.report
            patterns += rewrites.patterns
        rw = Rewriter(graph)
        first = rw.remove_dead() if dce else None
        result = drive(rw, patterns, max_rounds=self.max_rounds, erase_dead=dce)
        last = rw.remove_dead() if dce else None
        report.rounds, report.converged = result.rounds, result.converged
        if first is not None and last is not None:
            nodes = first.nodes + result.dead_erased + last.nodes
            report.steps["dce"] = DCEReport(nodes_removed=nodes, constants_removed=first.constants + last.constants)
        return PassResult(graph, rw.changed, report)


def _pattern_pass(name: str) -> PatternPass:
    step = get_pass(name)
    if not isinstance(step, PatternPass):
        raise PassError(
            f"canonicalize: step {name!r} is not a pattern pass; steps are 'dce' and pattern passes "
            f"such as {', '.join(s for s in STEPS if s != 'dce')} (run {name!r} as its own pass instead)"
        )
    return step
