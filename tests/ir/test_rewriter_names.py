"""A rewrite never loses a graph output's name or moves it: the replacement takes the name."""

import numpy as np
import pytest

from tessera.errors import VerificationError
from tessera.ir import DType, Graph, TensorType, print_graph, verify
from tessera.ir.driver import apply_patterns
from tessera.ir.graph import Node
from tessera.ir.ops.activation import Relu
from tessera.ir.ops.elementwise import Add, Mul
from tessera.ir.rewriter import DeadCode, RewritePattern, Rewriter

T = TensorType(DType.FLOAT32, (3,))


def _graph() -> Graph:
    """outputs (z, y, s): z = Mul(s, x), y = Relu(s), s = Add(x, x)."""
    g = Graph("names")
    x = g.add_input("x", T)
    s = g.add_node(Add, [x, x], name="s").output
    y = g.add_node(Relu, [s], name="y").output
    z = g.add_node(Mul, [s, x], name="z").output
    g.outputs = [z, y, s]
    return g


class ReluToMul(RewritePattern):
    # relu(v) -> v * v
    root = Relu

    def match_and_rewrite(self, node: Node, rw: Rewriter) -> None:
        v = node.inputs[0]
        square = rw.add(Mul, [v, v], before=node, name="square")
        rw.replace(node, [square.output])


def test_a_rewrite_that_replaces_a_graph_output_keeps_its_name_and_position() -> None:
    g = _graph()
    assert apply_patterns(g, [ReluToMul()]) == 1
    verify(g)
    assert [v.name for v in g.outputs] == ["z", "y", "s"]
    assert g.outputs[1].producer is not None and g.outputs[1].producer.name == "square"
    assert "  %y: f32[3] = Mul(%s, %s)  # square" in print_graph(g).splitlines()


def test_replacing_an_output_by_another_output_is_refused_not_renamed() -> None:
    g = _graph()
    rw = Rewriter(g)
    assert not rw.can_replace(g.value("y"), g.value("s"))
    with pytest.raises(VerificationError, match="cannot give 's' the name of 'y'"):
        g.replace_all_uses(g.value("y"), g.value("s"))
    assert [v.name for v in g.outputs] == ["z", "y", "s"]


def test_graph_replace_all_uses_keeps_output_names() -> None:
    g = _graph()
    y = g.value("y")
    other = g.add_node(Relu, [g.value("z")], name="other").output
    g.replace_all_uses(y, other)
    assert g.outputs[1] is other and other.name == "y" and y.name == "other"


def test_remove_dead_counts_nodes_and_constants() -> None:
    g = _graph()
    w = g.add_constant("w", np.ones(3, np.float32))
    g.add_node(Add, [g.add_node(Mul, [g.inputs[0], w], name="dead1").output, w], name="dead2")
    g.add_constant("unused", np.ones(3, np.float32))
    rw = Rewriter(g)
    assert rw.remove_dead() == DeadCode(nodes=2, constants=2)
    verify(g)
    assert [n.name for n in g.nodes] == ["s", "y", "z"] and not g.constants
    assert rw.remove_dead() == DeadCode(nodes=0, constants=0)


def test_int8_export_keeps_the_output_name() -> None:
    """quantize-int8 with int8_io expands QDQ with Graph.replace_all_uses; the output stays `logits`."""
    import tessera
    from tessera.ir.ops.linalg import Gemm

    g = Graph("fc")
    rng = np.random.default_rng(0)
    x = g.add_input("x", TensorType(DType.FLOAT32, (1, 8)))
    w = g.add_constant("w", rng.standard_normal((4, 8)).astype(np.float32))
    b = g.add_constant("b", np.zeros(4, np.float32))
    g.outputs = [g.add_node(Gemm, [x, w, b], {"transB": 1}, name="gemm", output_names=["logits"]).output]
    quantized = tessera.quantize(g, random_calibration=8, int8_io=True).graph
    assert [o.name for o in tessera.export_onnx(quantized).graph.output] == ["logits"]
    assert "logits" in quantized.io_qparams
