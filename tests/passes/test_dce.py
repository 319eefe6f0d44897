import numpy as np
import pytest
from _pass_helpers import f32, op, random_graph, run_checked

from tessera.ir import Graph, print_graph


def _graph_with_dead_code() -> Graph:
    g = Graph()
    x = g.add_input("x", f32(2, 3))
    g.add_input("unused_input", f32(2, 3))
    w = g.add_constant("w", np.ones((2, 3), np.float32))
    g.add_constant("unused_w", np.ones((2, 3), np.float32))
    y = g.add_node(op("Relu"), [x], name="y").output
    dead1 = g.add_node(op("Mul"), [x, w], name="dead1").output
    dead2 = g.add_node(op("Add"), [dead1, dead1], name="dead2").output
    g.add_node(op("Relu"), [dead2], name="dead3")
    g.outputs = [y]
    return g


def test_removes_dead_chains_and_unused_constants() -> None:
    result = run_checked("dce", _graph_with_dead_code())
    assert result.modified
    assert result.report.nodes_removed == 3
    assert result.report.constants_removed == 2
    assert print_graph(result.graph) == (
        "graph main(%x: f32[2,3], %unused_input: f32[2,3]) -> (%y) {\n  %y: f32[2,3] = Relu(%x)  # y\n  return %y\n}"
    )


def test_keeps_graph_outputs_and_partly_read_nodes() -> None:
    g = Graph()
    x = g.add_input("x", f32(4))
    drop = g.add_node(op("Dropout"), [x], num_outputs=2, name="drop")  # the mask is unused
    y = g.add_node(op("Relu"), [drop.outputs[0]], name="y").output
    g.outputs = [y, drop.outputs[0]]
    result = run_checked("dce", g)
    assert not result.modified
    assert result.graph.op_counts() == {"Dropout": 1, "Relu": 1}


def test_clean_graph_is_unchanged() -> None:
    result = run_checked("dce", run_checked("dce", _graph_with_dead_code()).graph)
    assert not result.modified
    assert result.report.nodes_removed == result.report.constants_removed == 0


@pytest.mark.parametrize("seed", range(6))
def test_random_graphs(seed: int) -> None:
    g = random_graph(seed)
    live_outputs = list(g.outputs)
    result = run_checked("dce", g, seed=seed)
    assert result.graph.outputs == live_outputs
    for node in result.graph.nodes:
        assert any(o.users or o in result.graph.outputs for o in node.outputs)
