import numpy as np
import pytest

from tessera.errors import PassError
from tessera.ir import DType, Graph, TensorType, print_graph, verify
from tessera.ir.driver import apply_patterns
from tessera.ir.graph import Node
from tessera.ir.ops.activation import Relu
from tessera.ir.ops.elementwise import Add, Mul
from tessera.ir.rewriter import RewritePattern, Rewriter

T = TensorType(DType.FLOAT32, (3,))


def _graph() -> Graph:
    g = Graph()
    x = g.add_input("x", T)
    s = g.add_node(Add, [x, x], name="s").output
    g.outputs = [g.add_node(Relu, [s], name="y").output]
    return g


def test_graph_outputs_count_as_readers() -> None:
    g = _graph()
    rw = Rewriter(g)
    g.outputs = [g.value("s")]
    assert rw.is_dead(g.node("y")) and not rw.is_dead(g.node("s"))
    g.outputs.append(g.value("y"))
    assert not rw.is_dead(g.node("y"))


def test_replacing_a_graph_output_keeps_its_name() -> None:
    g = _graph()
    rw = Rewriter(g)
    rw.replace(g.node("y"), [g.value("s")])
    verify(g)
    assert [v.name for v in g.outputs] == ["y"]
    assert print_graph(g).splitlines()[1] == "  %y: f32[3] = Add(%x, %x)  # s"


def test_graph_inputs_are_never_renamed() -> None:
    g = _graph()
    rw = Rewriter(g)
    assert not rw.can_replace(g.outputs[0], g.inputs[0])
    with pytest.raises(PassError, match="graph input"):
        rw.replace_all_uses(g.outputs[0], g.inputs[0])
    g.outputs = [g.inputs[0]]
    assert not rw.can_replace(g.inputs[0], g.value("s"))


def test_replace_op_keeps_node_and_value_names() -> None:
    g = _graph()
    c = g.add_constant("c", np.ones(3, np.float32))
    rw = Rewriter(g)
    new = rw.replace_op(g.node("s"), Mul, [g.inputs[0], c])
    verify(g)
    assert new.name == "s" and new.output.name == "s" and g.nodes[0] is new
    assert print_graph(g).splitlines()[2:4] == ["  %s: f32[3] = Mul(%x, %c)  # s", "  %y: f32[3] = Relu(%s)  # y"]


def test_take_name_renames_constants_consistently() -> None:
    g = _graph()
    rw = Rewriter(g)
    folded = rw.constant("s", np.zeros(3, np.float32))
    assert folded.name != "s"
    rw.replace_all_uses(g.value("s"), folded, take_name=True)
    rw.erase(g.node("s"))
    verify(g)
    assert g.constants["s"] is folded


class ReluOfRelu(RewritePattern):
    # relu(relu(x)) -> relu(x)
    root = Relu

    def match_and_rewrite(self, node: Node, rw: Rewriter) -> None:
        inner = node.inputs[0].producer
        if inner is None or inner.op is not Relu:
            return
        rw.replace(node, [inner.output])


def test_pattern_with_apply_patterns() -> None:
    g = _graph()
    g.outputs = [g.add_node(Relu, [g.outputs[0]], name="z").output]
    assert apply_patterns(g, [ReluOfRelu()]) == 1
    verify(g)
    assert g.op_counts() == {"Add": 1, "Relu": 1} and g.outputs[0].name == "z"
