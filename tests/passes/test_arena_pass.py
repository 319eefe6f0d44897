"""The memory-plan pass: plans the current order, reports it, leaves the graph as it was."""

import json

import numpy as np
import pytest
from conftest import chain_graph

import tessera
from tessera.errors import PassError
from tessera.ir.liveness import memory_profile
from tessera.ir.printer import print_graph
from tessera.passes import PassManager, get_pass
from tessera.passes.memory import plan_arena


def test_report_matches_plan_and_graph_is_unchanged() -> None:
    g = chain_graph()
    before = print_graph(g)
    result = PassManager([get_pass("memory-plan", method="best-fit", alignment=16)]).run(g)
    report = result.records[0].report
    assert print_graph(result.graph) == before and not result.records[0].modified
    plan = plan_arena(g, "best-fit", 16)
    assert report.arena_bytes == plan.arena_bytes and report.offsets == dict(plan.offsets)
    assert report.peak_bytes == memory_profile(g).peak_bytes == 72
    # sizes 24 round up to 32; x, add and relu are live together at the peak: 3 x 32 = 96
    assert report.lower_bound_bytes == 96 == report.arena_bytes and report.optimal
    assert report.ratio == pytest.approx(96 / 72)
    assert report.peak_node == "relu" and set(report.peak_tensors) == {"x", "add", "relu"}
    assert all(off % 16 == 0 for off in report.offsets.values())
    json.dumps(report.to_dict())
    assert "offsets" not in report.render_text() and "arena_bytes: 96" in report.render_text()


def test_compile_with_plan_keeps_outputs(rng: np.random.Generator) -> None:
    g = chain_graph()
    x = rng.standard_normal((2, 3)).astype(np.float32)
    expected = tessera.run(g, {"x": x})
    compiled = tessera.compile(g, passes=["canonicalize", "memory-plan"])
    got = compiled.run({"x": x})
    for name, value in expected.items():
        np.testing.assert_array_equal(got[name], value)
    record = compiled.reports[-1]
    assert record.name == "memory-plan" and record.report.method == "best-fit"


@pytest.mark.parametrize("method", ["greedy-by-size", "best-fit", "cp-sat"])
def test_squeezenet_arena_reaches_its_lower_bound(method: str) -> None:
    g = tessera.load("light:squeezenet")
    report = get_pass("memory-plan", method=method).run(g).report
    assert report.arena_bytes == report.lower_bound_bytes and report.status == "optimal"
    assert report.ratio <= 1.001  # only alignment padding over the liveness peak


def test_unknown_method_is_named() -> None:
    with pytest.raises(PassError, match="memory-plan: unknown method 'tetris'; available: best-fit, cp-sat"):
        get_pass("memory-plan", method="tetris").run(chain_graph())


def test_bad_alignment_is_named() -> None:
    with pytest.raises(PassError, match="alignment must be >= 1"):
        get_pass("memory-plan", alignment=0).run(chain_graph())
