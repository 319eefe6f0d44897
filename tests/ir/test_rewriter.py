import numpy as np
from conftest import chain_graph

from tessera.backends.reference import execute
from tessera.ir import DType, Graph, TensorType, verify
from tessera.ir.driver import apply_patterns
from tessera.ir.graph import Node
from tessera.ir.ops.activation import Relu
from tessera.ir.ops.elementwise import Add, Mul
from tessera.ir.rewriter import RewritePattern, Rewriter


class DropDoubleRelu(RewritePattern):
    # relu(relu(x)) -> relu(x)
    root = Relu

    def match_and_rewrite(self, node: Node, rw: Rewriter) -> None:
        inner = node.inputs[0].producer
        if inner is None or inner.op is not Relu:
            return
        rw.replace(node, [inner.output])


def relu_chain(n: int) -> Graph:
    g = Graph()
    v = g.add_input("x", TensorType(DType.FLOAT32, (3,)))
    for _ in range(n):
        v = g.add_node(Relu, [v]).output
    g.outputs.append(v)
    return g


def test_apply_patterns_reaches_fixpoint() -> None:
    g = relu_chain(4)
    x = np.array([-1.0, 0.0, 2.0], np.float32)
    before = execute(g, {"x": x})
    assert apply_patterns(g, [DropDoubleRelu()]) == 3
    verify(g)
    assert len(g.nodes) == 1
    np.testing.assert_array_equal(next(iter(execute(g, {"x": x}).values())), next(iter(before.values())))


class MulByXToAdd(RewritePattern):
    # r * x -> r + r
    root = Mul

    def match_and_rewrite(self, node: Node, rw: Rewriter) -> None:
        if node.inputs[1].name != "x":
            return
        r = node.inputs[0]
        new = rw.add(Add, [r, r], before=node)
        rw.replace(node, [new.output])


def test_pattern_rewrites_mul_by_relu_into_new_node() -> None:
    g = chain_graph()
    assert apply_patterns(g, [MulByXToAdd()]) == 1
    verify(g)
    assert g.op_counts() == {"Add": 2, "Relu": 1}
