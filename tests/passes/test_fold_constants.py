import numpy as np
import pytest
from _pass_helpers import f32, op, random_graph, run_checked

from tessera.ir import Graph, print_graph


def _graph() -> Graph:
    g = Graph()
    x = g.add_input("x", f32(2, 3))
    a = g.add_constant("a", np.full((2, 3), 2.0, np.float32))
    b = g.add_constant("b", np.full((2, 3), 3.0, np.float32))
    ab = g.add_node(op("Mul"), [a, b], name="ab").output
    abb = g.add_node(op("Add"), [ab, b], name="abb").output  # folds once `ab` has
    shape = g.add_node(op("Shape"), [x], name="shape").output  # depends on x's type only
    y = g.add_node(op("Add"), [x, abb], name="y").output
    g.outputs = [y, shape]
    return g


def test_folds_chains_and_type_only_ops() -> None:
    result = run_checked("fold-constants", _graph())
    assert result.modified
    assert result.report.nodes_folded == 3
    assert result.graph.op_counts() == {"Add": 1}
    assert np.array_equal(result.graph.value("abb").data, np.full((2, 3), 9.0, np.float32))
    shape = result.graph.outputs[1]
    assert shape.name == "shape" and shape.is_constant and shape.data.tolist() == [2, 3]


def test_golden_text() -> None:
    result = run_checked("dce", run_checked("fold-constants", _graph()).graph)
    assert print_graph(result.graph) == (
        "graph main(%x: f32[2,3]) -> (%y, %shape) {\n"
        "  const %abb: f32[2,3]\n"
        "  const %shape: i64[2]\n"
        "  %y: f32[2,3] = Add(%x, %abb)  # y\n"
        "  return %y, %shape\n"
        "}"
    )


def test_max_bytes_skips_large_results() -> None:
    result = run_checked("fold-constants", _graph(), max_bytes=16)
    assert result.report.nodes_folded == 1  # only the 16-byte Shape
    assert result.report.skipped_too_large == 1  # `ab`; `abb` then has a non-constant input
    assert result.graph.op_counts() == {"Add": 2, "Mul": 1}


def test_dead_constant_nodes_are_left_to_dce() -> None:
    g = Graph()
    x = g.add_input("x", f32(2))
    c = g.add_constant("c", np.ones(2, np.float32))
    g.add_node(op("Relu"), [c], name="dead")
    g.outputs = [g.add_node(op("Relu"), [x]).output]
    result = run_checked("fold-constants", g)
    assert not result.modified


def test_folded_graph_output_keeps_its_name() -> None:
    g = Graph()
    g.add_input("x", f32(2))
    c = g.add_constant("c", np.array([-1.0, 2.0], np.float32))
    g.outputs = [g.add_node(op("Relu"), [c], name="y").output]
    result = run_checked("fold-constants", g)
    assert [v.name for v in result.graph.outputs] == ["y"]
    assert result.graph.outputs[0].data.tolist() == [0.0, 2.0]


@pytest.mark.parametrize("seed", range(6))
def test_random_graphs(seed: int) -> None:
    result = run_checked("fold-constants", random_graph(seed), seed=seed)
    for node in result.graph.nodes:
        assert not all(v.is_constant for v in node.inputs) or not any(o.users for o in node.outputs)


def test_max_bytes_counts_every_output_of_a_multi_output_node() -> None:
    """The kernel computes both halves of a Split even when one is read: 2 x 4,000 B against 6,000."""
    g = Graph()
    x = g.add_input("x", f32(1000))
    w = g.add_constant("w", np.ones(2000, np.float32))
    halves = g.add_node(op("Split"), [w], {"axis": 0, "num_outputs": 2}, name="halves", num_outputs=2)
    g.outputs = [g.add_node(op("Add"), [x, halves.outputs[0]], name="y").output]
    skipped = run_checked("fold-constants", g, max_bytes=6000)
    assert skipped.report.skipped_too_large == 1 and skipped.report.nodes_folded == 0
    folded = run_checked("fold-constants", g, max_bytes=8000)
    assert folded.report.nodes_folded == 1 and folded.report.bytes_added == 4000
