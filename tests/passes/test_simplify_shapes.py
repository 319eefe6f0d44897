import numpy as np
import pytest
from _pass_helpers import f32, op, random_graph, run_checked

from tessera.ir import Graph, print_graph


def _chain(*steps: tuple[str, dict]) -> Graph:
    """x -> Relu -> steps... -> Relu -> y, so every shape op sits between two nodes."""
    g = Graph()
    v = g.add_node(op("Relu"), [g.add_input("x", f32(2, 3, 4))], name="r").output
    for i, (name, attrs) in enumerate(steps):
        v = g.add_node(op(name), [v], attrs, name=f"s{i}").output
    g.outputs = [g.add_node(op("Relu"), [v], name="y").output]
    return g


def test_reshape_of_reshape_merges_golden_text() -> None:
    g = _chain(("Reshape", {"shape": (6, -1)}), ("Reshape", {"shape": (0, 2, 2)}))
    result = run_checked("simplify-shapes", g)
    assert result.report.reshapes_merged == 1
    assert print_graph(result.graph) == (
        "graph main(%x: f32[2,3,4]) -> (%y) {\n"
        "  %r: f32[2,3,4] = Relu(%x)  # r\n"
        "  %s1: f32[6,2,2] = Reshape(%r) {allowzero=0, shape=[6, 2, 2]}  # s1\n"
        "  %y: f32[6,2,2] = Relu(%s1)  # y\n"
        "  return %y\n"
        "}"
    )


@pytest.mark.parametrize(
    "steps",
    [
        [("Reshape", {"shape": (2, 12)}), ("Reshape", {"shape": (2, 3, 4)})],
        [("Reshape", {"shape": (-1, 3, 4)})],
        [("Unsqueeze", {"axes": (0,)}), ("Squeeze", {"axes": (0,)})],
        [("Expand", {"shape": (3, 1)})],
        [("Flatten", {"axis": 2}), ("Unsqueeze", {"axes": (2,)}), ("Reshape", {"shape": (2, 3, 4)})],
    ],
)
def test_shape_ops_back_to_the_input_shape_vanish(steps: list) -> None:
    result = run_checked("simplify-shapes", _chain(*steps))
    assert result.graph.op_counts() == {"Relu": 2}


def test_flatten_squeeze_unsqueeze_become_explicit_reshapes() -> None:
    g = Graph()
    x = g.add_input("x", f32(2, 1, 4))
    outs = [
        g.add_node(op("Flatten"), [x], {"axis": 2}).output,
        g.add_node(op("Squeeze"), [x], {"axes": (1,)}).output,
        g.add_node(op("Unsqueeze"), [x], {"axes": (0, 4)}).output,
        g.add_node(op("Reshape"), [x], {"shape": (-1,)}).output,
    ]
    g.outputs = outs
    names = [v.name for v in outs]
    result = run_checked("simplify-shapes", g)
    assert result.graph.op_counts() == {"Reshape": 4}
    assert result.report.normalized_to_reshape == 3 and result.report.reshape_shapes_resolved == 1
    assert [n.attrs["shape"] for n in result.graph.nodes] == [(2, 4), (2, 4), (1, 2, 1, 4, 1), (8,)]
    assert [v.name for v in result.graph.outputs] == names


def test_zero_sized_dimension_uses_allowzero() -> None:
    g = Graph()
    x = g.add_input("x", f32(0, 3))
    g.outputs = [g.add_node(op("Reshape"), [x], {"shape": (3, -1)}).output]
    node = run_checked("simplify-shapes", g).graph.nodes[0]
    assert node.attrs["shape"] == (3, 0) and node.attrs["allowzero"] == 1


def test_transposes_merge_or_vanish() -> None:
    merged = run_checked(
        "simplify-shapes", _chain(("Transpose", {"perm": (1, 0, 2)}), ("Transpose", {"perm": (0, 2, 1)}))
    )
    assert merged.report.transposes_merged == 1
    assert [n.attrs.get("perm") for n in merged.graph.nodes if n.op.name == "Transpose"] == [(1, 2, 0)]
    gone = run_checked("simplify-shapes", _chain(("Transpose", {}), ("Transpose", {})))
    assert gone.graph.op_counts() == {"Relu": 2} and gone.report.identity_transposes_removed == 1
    alone = run_checked("simplify-shapes", _chain(("Transpose", {"perm": (0, 1, 2)})))
    assert alone.graph.op_counts() == {"Relu": 2}


def test_single_input_concat_is_removed() -> None:
    result = run_checked("simplify-shapes", _chain(("Concat", {"axis": 1})))
    assert result.graph.op_counts() == {"Relu": 2} and result.report.single_concats_removed == 1


def test_graph_input_to_output_shape_op_is_kept() -> None:
    g = Graph()
    x = g.add_input("x", f32(2, 3))
    g.outputs = [g.add_node(op("Reshape"), [x], {"shape": (2, 3)}, name="y").output]
    assert not run_checked("simplify-shapes", g).modified


def test_merged_reshape_keeps_shared_inner_reshape() -> None:
    g = Graph()
    x = g.add_input("x", f32(2, 6))
    inner = g.add_node(op("Reshape"), [x], {"shape": (12,)}, name="inner").output
    outer = g.add_node(op("Reshape"), [inner], {"shape": (3, 4)}, name="outer").output
    c = g.add_constant("c", np.ones(12, np.float32))
    g.outputs = [outer, g.add_node(op("Add"), [inner, c], name="other").output]
    result = run_checked("simplify-shapes", g)
    assert result.graph.op_counts() == {"Add": 1, "Reshape": 2}
    assert result.graph.node("outer").inputs[0].name == "x"


@pytest.mark.parametrize("seed", range(8))
def test_random_graphs(seed: int) -> None:
    result = run_checked("simplify-shapes", random_graph(seed), seed=seed)
    for node in result.graph.nodes:
        if node.op.name not in ("Reshape", "Transpose") or node.output in result.graph.outputs:
            continue
        assert node.inputs[0].producer is None or node.inputs[0].producer.op is not node.op
        if node.op.name == "Reshape":
            assert node.output.type != node.inputs[0].type
        else:
            assert node.attrs["perm"] != tuple(range(node.output.type.rank))
