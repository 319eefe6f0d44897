import enum
import json
from dataclasses import dataclass

import numpy as np
import pytest
from _pass_helpers import f32, op

from tessera.errors import PassError, VerificationError
from tessera.ir import Graph
from tessera.passes import (
    DEFAULT_PIPELINE,
    Pass,
    PassManager,
    PassResult,
    Report,
    available_passes,
    get_pass,
    register_pass,
)


def _graph() -> Graph:
    g = Graph("small")
    x = g.add_input("x", f32(2, 3))
    c = g.add_constant("c", np.ones((2, 3), np.float32))
    c2 = g.add_node(op("Add"), [c, c], name="c2").output
    i = g.add_node(op("Identity"), [x], name="i").output
    g.add_node(op("Relu"), [i], name="dead")
    g.outputs = [g.add_node(op("Mul"), [i, c2], name="y").output]
    return g


class Kind(enum.Enum):
    A = "a"


@dataclass
class _TupleReport(Report):
    names: tuple[str, ...] = ("a", "b")
    kind: Kind = Kind.A


@dataclass(frozen=True)
class _BreakUseLists(Pass):
    """Drops the first node without fixing its readers: verification must catch it."""

    name = "break-use-lists"

    def run(self, graph: Graph) -> PassResult:
        graph.nodes.pop(0)
        return PassResult(graph, True, Report())


def test_runs_passes_in_order_and_records_them() -> None:
    passes = [get_pass(name) for name in ("remove-identity", "fold-constants", "dce")]
    result = PassManager(passes).run(_graph())
    assert [r.name for r in result.records] == ["remove-identity", "fold-constants", "dce"]
    assert [(r.nodes_before, r.nodes_after) for r in result.records] == [(4, 3), (3, 2), (2, 1)]
    assert all(r.modified and r.time_s > 0 for r in result.records)
    assert result.graph.op_counts() == {"Mul": 1}


def test_report_json_round_trip() -> None:
    result = PassManager([get_pass(name) for name in DEFAULT_PIPELINE]).run(_graph())
    data = result.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["records"][0]["report"]["steps"]["dce"] == {"nodes_removed": 1, "constants_removed": 1}
    assert _TupleReport().to_dict() == {"names": ["a", "b"], "kind": "a"}


def test_render_text() -> None:
    text = PassManager([get_pass("remove-identity"), get_pass("dce")]).run(_graph()).render_text()
    lines = text.splitlines()
    assert lines[0].split() == ["pass", "time", "nodes"]
    assert lines[1].startswith("remove-identity") and lines[1].endswith("4 -> 3")
    assert "[dce]" in lines and "  nodes_removed: 1" in lines


def test_verification_failure_names_the_pass() -> None:
    with pytest.raises(PassError, match="break-use-lists"):
        PassManager([get_pass("dce"), _BreakUseLists()]).run(_graph())
    PassManager([_BreakUseLists()], verify=False).run(_graph())  # not checked when asked not to


def test_invalid_input_graph_is_reported_as_such() -> None:
    g = _graph()
    g.nodes.reverse()
    with pytest.raises(VerificationError):
        PassManager([get_pass("dce")]).run(g)


def test_registry() -> None:
    assert {"canonicalize", "dce", "fold-batchnorm", "fold-constants", "remove-identity", "simplify-shapes"} <= set(
        available_passes()
    )
    assert set(DEFAULT_PIPELINE) <= set(available_passes())
    assert get_pass("fold-constants", max_bytes=10).max_bytes == 10
    assert get_pass("fold-constants").options() == {"max_bytes": 64 << 20}
    with pytest.raises(PassError, match="unknown pass 'nope'; available passes: binarize, canonicalize, dce"):
        get_pass("nope")
    with pytest.raises(PassError, match="no option"):
        get_pass("dce", level=3)
    with pytest.raises(PassError, match="kebab-case"):
        register_pass(type("Bad", (Pass,), {"name": "Bad_Name"}))
    with pytest.raises(PassError, match="Pass objects"):
        PassManager(["dce"])  # type: ignore[list-item]


def test_passes_are_frozen_dataclasses() -> None:
    p = get_pass("canonicalize", max_rounds=3)
    with pytest.raises(AttributeError):
        p.max_rounds = 4  # type: ignore[misc]
