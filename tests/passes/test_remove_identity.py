import numpy as np
import pytest
from _pass_helpers import f32, op, random_graph, run_checked

from tessera.ir import Graph, print_graph


def test_removes_identity_and_dropout() -> None:
    g = Graph()
    x = g.add_input("x", f32(2, 3))
    a = g.add_node(op("Relu"), [x], name="a").output
    i = g.add_node(op("Identity"), [a], name="i").output
    d = g.add_node(op("Dropout"), [i], name="d").output
    y = g.add_node(op("Relu"), [d], name="y").output
    g.outputs = [y]
    result = run_checked("remove-identity", g)
    assert result.report.identities_removed == 1 and result.report.dropouts_removed == 1
    assert print_graph(result.graph) == (
        "graph main(%x: f32[2,3]) -> (%y) {\n"
        "  %a: f32[2,3] = Relu(%x)  # a\n"
        "  %y: f32[2,3] = Relu(%a)  # y\n"
        "  return %y\n"
        "}"
    )


def test_graph_output_name_moves_to_the_producer() -> None:
    g = Graph()
    x = g.add_input("x", f32(3))
    a = g.add_node(op("Relu"), [x], name="a").output
    b = g.add_node(op("Add"), [a, a], name="b").output
    g.outputs = [g.add_node(op("Identity"), [a], name="out").output, b]
    result = run_checked("remove-identity", g)
    assert result.graph.op_counts() == {"Add": 1, "Relu": 1}
    assert print_graph(result.graph).splitlines()[1:3] == [
        "  %out: f32[3] = Relu(%x)  # a",
        "  %b: f32[3] = Add(%out, %out)  # b",
    ]


def test_keeps_identity_that_names_an_input_constant_or_output() -> None:
    g = Graph()
    x = g.add_input("x", f32(3))
    w = g.add_constant("w", np.ones(3, np.float32))
    a = g.add_node(op("Relu"), [x], name="a").output
    of_input = g.add_node(op("Identity"), [x], name="of_input").output
    of_const = g.add_node(op("Identity"), [w], name="of_const").output
    of_output = g.add_node(op("Identity"), [a], name="of_output").output
    g.outputs = [a, of_input, of_const, of_output]
    result = run_checked("remove-identity", g)
    assert not result.modified
    assert result.report.kept_for_output_names == 3
    assert result.graph.op_counts() == {"Identity": 3, "Relu": 1}


def test_dropout_whose_mask_is_read_is_kept() -> None:
    g = Graph()
    x = g.add_input("x", f32(3))
    drop = g.add_node(op("Dropout"), [x], num_outputs=2, name="drop")
    g.outputs = [g.add_node(op("Relu"), [drop.outputs[0]]).output, drop.outputs[1]]
    assert not run_checked("remove-identity", g).modified


@pytest.mark.parametrize("seed", range(6))
def test_random_graphs(seed: int) -> None:
    g = random_graph(seed)
    result = run_checked("remove-identity", g, seed=seed)
    for node in result.graph.nodes:
        if node.op.name in ("Identity", "Dropout"):
            assert node.output in result.graph.outputs
