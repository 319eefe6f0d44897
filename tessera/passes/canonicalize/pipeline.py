"""`canonicalize`: the canonicalization passes, repeated until none changes the graph."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from tessera.errors import PassError
from tessera.ir.graph import Graph
from tessera.passes.base import Pass, PassResult, Report
from tessera.passes.registry import available_passes, get_pass, register_pass

# dce first, so that dead readers do not stop a BN from folding into its Conv (which would turn it
# into Mul + Add for good), and last, to collect what the others leave behind (old weights).
STEPS: tuple[str, ...] = ("dce", "remove-identity", "fold-constants", "fold-batchnorm", "simplify-shapes", "dce")


@dataclass
class CanonicalizeReport(Report):
    rounds: int = 0
    converged: bool = True
    steps: dict[str, Report] = field(default_factory=dict)  # per pass name, its counts summed over runs

    def render_text(self) -> str:
        lines = [f"rounds: {self.rounds}{'' if self.converged else ' (stopped before a fixpoint)'}"]
        for name, report in self.steps.items():
            counts = ", ".join(f"{k}={v}" for k, v in report.to_dict().items() if v)
            lines.append(f"{name}: {counts or 'no change'}")
        return "\n".join(lines)


@register_pass
@dataclass(frozen=True)
class Canonicalize(Pass):
    """Run the canonicalization passes round after round until a round changes nothing."""

    name = "canonicalize"
    steps: tuple[str, ...] = field(default=STEPS, metadata={"help": "the passes of one round, in order"})
    max_rounds: int = field(default=10, metadata={"help": "rounds at most, when no round reaches a fixpoint"})

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
        passes = [get_pass(name) for name in self.steps]
        report = CanonicalizeReport(converged=False)
        modified = False
        for _ in range(self.max_rounds):
            report.rounds += 1
            changed = False
            for p in passes:
                result = p.run(graph)
                graph, changed = result.graph, changed or result.modified
                report.steps[p.name] = _summed(report.steps.get(p.name), result.report)
            modified = modified or changed
            if not changed:
                report.converged = True
                break
        return PassResult(graph, modified, report)


def _summed(total: Report | None, new: Report) -> Report:
    """Field-wise sum of two reports of one type (counts); other fields take the newer value."""
    if total is None:
        return new
    values = {}
    for f in dataclasses.fields(new):
        a, b = getattr(total, f.name), getattr(new, f.name)
        summable = isinstance(a, (int, float)) and not isinstance(a, bool)
        values[f.name] = a + b if summable else b
    return type(new)(**values)
