"""The pass interface: a pass is a frozen dataclass (its fields are its options) whose `run` edits a
graph and returns a typed report; the PassManager runs a list of them, timing and verifying each."""

from __future__ import annotations

import dataclasses
import enum
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from tessera.errors import PassError, VerificationError
from tessera.ir.graph import Graph
from tessera.ir.verifier import verify
from tessera.options import OptionInfo, describe


@dataclass
class Report:
    """Base of the typed reports passes return. Subclasses add fields (counts, names, ...)."""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data: tuples become lists, enums their values."""
        return _jsonable(dataclasses.asdict(self))

    def render_text(self) -> str:
        """One readable line per field, e.g. `nodes_removed: 3`."""
        return "\n".join(f"{key}: {_format(value)}" for key, value in self.to_dict().items())


class Pass:
    """Base of every pass. Subclasses are `@dataclass(frozen=True)`, set `name` (kebab-case), open
    their docstring with a one-line description and implement `run`, which may edit `graph` in place.
    Their fields are their options and follow tessera.options' contract (type, default, help);
    `__post_init__` refuses values out of range with a PassError naming the option and the fix."""

    name: ClassVar[str]

    @classmethod
    def description(cls) -> str:
        """The first line of the pass's docstring."""
        doc = (cls.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""

    @classmethod
    def option_infos(cls) -> list[OptionInfo]:
        """The options a person sets (name, type, default, help), as `tessera passes` lists them."""
        return describe(cls) if dataclasses.is_dataclass(cls) else []

    def run(self, graph: Graph) -> PassResult:
        raise NotImplementedError(f"pass {type(self).__name__} defines no run()")

    def options(self) -> dict[str, Any]:
        """The pass's options (its dataclass fields) as plain data."""
        if not dataclasses.is_dataclass(self):
            return {}
        return _jsonable({f.name: getattr(self, f.name) for f in dataclasses.fields(self)})


@dataclass
class PassResult:
    graph: Graph
    modified: bool
    report: Report


@dataclass
class PassRecord:
    """What the PassManager recorded about one pass run."""

    name: str
    time_s: float
    modified: bool
    nodes_before: int
    nodes_after: int
    report: Report

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "time_s": self.time_s,
            "modified": self.modified,
            "nodes_before": self.nodes_before,
            "nodes_after": self.nodes_after,
            "report": self.report.to_dict(),
        }


R = TypeVar("R", bound=Report)


def find_report(records: Sequence[PassRecord], kind: type[R]) -> R | None:
    """The last report of type `kind` among `records` (e.g. `find_report(records, ArenaReport)`)."""
    return next((r.report for r in reversed(records) if isinstance(r.report, kind)), None)


@dataclass
class PipelineResult:
    graph: Graph
    records: list[PassRecord]

    @property
    def time_s(self) -> float:
        return sum(r.time_s for r in self.records)

    def report(self, kind: type[R]) -> R | None:
        """The last pass report of type `kind`, or None."""
        return find_report(self.records, kind)

    def to_dict(self) -> dict[str, Any]:
        return {
            "graph": self.graph.name,
            "nodes": len(self.graph),
            "time_s": self.time_s,
            "records": [r.to_dict() for r in self.records],
        }

    def render_text(self) -> str:
        width = max([len("pass"), *(len(r.name) for r in self.records)])
        lines = [f"{'pass':<{width}}  {'time':>9}  nodes"]
        for r in self.records:
            mark = "" if r.modified else "  (unchanged)"
            lines.append(f"{r.name:<{width}}  {r.time_s * 1e3:7.2f}ms  {r.nodes_before} -> {r.nodes_after}{mark}")
        lines.append(f"{'total':<{width}}  {self.time_s * 1e3:7.2f}ms")
        for r in self.records:
            text = r.report.render_text()
            if text:
                lines.append(f"[{r.name}]")
                lines += [f"  {line}" for line in text.splitlines()]
        return "\n".join(lines)


class PassManager:
    """Runs passes in order on one graph, timing each and (with `verify`) checking the IR after it."""

    def __init__(self, passes: Sequence[Pass], verify: bool = True):
        for p in passes:
            if not isinstance(p, Pass):
                raise PassError(f"PassManager takes Pass objects, got {p!r}; build one with get_pass(name)")
        self.passes = list(passes)
        self.verify = verify

    def run(self, graph: Graph) -> PipelineResult:
        if self.verify:
            verify(graph)  # an invalid input is the caller's error, not the first pass's
        records: list[PassRecord] = []
        for p in self.passes:
            before = len(graph)
            start = time.perf_counter()
            result = p.run(graph)
            elapsed = time.perf_counter() - start
            graph = result.graph
            if self.verify:
                _verify_after(p, graph)
            records.append(PassRecord(p.name, elapsed, result.modified, before, len(graph), result.report))
        return PipelineResult(graph, records)


def _verify_after(p: Pass, graph: Graph) -> None:
    try:
        verify(graph)
    except VerificationError as err:
        raise PassError(f"pass {p.name!r} left an invalid graph: {err}") from err


def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return _jsonable(value.value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return ", ".join(_format(v) for v in value) if value else "-"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_format(v)}" for k, v in value.items()) if value else "-"
    return str(value)
