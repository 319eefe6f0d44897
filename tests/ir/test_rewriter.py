import numpy as np
import pytest
from conftest import chain_graph

from tessera.backends.reference import execute
from tessera.errors import PassError
from tessera.ir import DType, Graph, TensorType, verify
from tessera.ir.graph import Node
from tessera.ir.ops import lookup
from tessera.ir.rewriter import (
    Match,
    PatternRule,
    RewritePattern,
    Rewriter,
    any_value,
    apply_patterns,
    const,
    match,
    op,
)

Add, Relu, Mul = lookup("Add"), lookup("Relu"), lookup("Mul")


class DropDoubleRelu(RewritePattern):
    # relu(relu(x)) -> relu(x)
    def match_and_rewrite(self, node: Node, rw: Rewriter) -> None:
        inner = node.inputs[0].producer
        if node.op is not Relu or inner is None or inner.op is not Relu:
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


def test_declarative_match_binds_nodes_and_values() -> None:
    g = chain_graph()
    pat = op(Mul, op(Relu, op(Add, any_value("x"), const("b")), name="relu"), any_value("x2"), name="mul")
    m = match(pat, g.nodes[2], g)
    assert m is not None
    assert m["relu"] is g.nodes[1] and m["b"] is g.constants["b"] and m["x"] is m["x2"]
    assert match(pat, g.nodes[1], g) is None


def test_repeated_name_must_bind_same_value() -> None:
    g = chain_graph()
    same = op(Mul, any_value("v"), any_value("v"))
    assert match(same, g.nodes[2], g) is None


def test_predicates_and_single_use() -> None:
    g = chain_graph()
    small = op(Add, any_value(), const(where=lambda v: bool(np.all(v.data == 0.5))))
    assert match(small, g.nodes[0], g) is not None
    assert match(op(Add, any_value(), const(where=lambda v: False)), g.nodes[0], g) is None
    assert match(op(Mul, op(Relu, single_use=True), any_value()), g.nodes[2], g) is not None


def test_pattern_rule_rewrites_mul_by_relu_into_new_node() -> None:
    g = chain_graph()

    def rewrite(m: Match, rw: Rewriter) -> None:
        new = rw.add(Add, [m["r"], m["r"]], before=m.root)
        rw.replace(m.root, [new.output])

    rule = PatternRule(op(Mul, any_value("r"), any_value(where=lambda v: v.name == "x")), rewrite)
    assert apply_patterns(g, [rule]) == 1
    verify(g)
    assert g.op_counts() == {"Add": 2, "Relu": 1}


def test_root_must_be_a_node_pattern() -> None:
    g = chain_graph()
    with pytest.raises(PassError):
        match(any_value(), g.nodes[0], g)
