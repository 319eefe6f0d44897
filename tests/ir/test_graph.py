import numpy as np
import pytest
from conftest import chain_graph

from tessera.errors import ShapeError, VerificationError
from tessera.ir import DType, Graph, TensorType, verify
from tessera.ir.ops import lookup

Add, Relu, Mul, Identity = (lookup(n) for n in ("Add", "Relu", "Mul", "Identity"))


def test_use_lists_follow_edits() -> None:
    g = chain_graph()
    x = g.inputs[0]
    add, relu, mul = g.nodes
    assert x.users == [add, mul]
    g.replace_all_uses(relu.output, add.output)
    assert relu.output.users == [] and mul in add.output.users
    g.erase(relu)
    verify(g)
    assert [n.name for n in g.nodes] == ["add", "mul"]


def test_erase_refuses_used_node() -> None:
    g = chain_graph()
    with pytest.raises(VerificationError, match="still used"):
        g.erase(g.nodes[0])


def test_replace_all_uses_updates_graph_outputs_and_checks_types() -> None:
    g = chain_graph()
    ident = g.add_node(Identity, [g.outputs[0]], name="id")
    g.replace_all_uses(g.outputs[0], ident.output)
    assert g.outputs == [ident.output]
    with pytest.raises(VerificationError, match="cannot replace"):
        g.replace_all_uses(g.inputs[0], g.constants["b"])


def test_add_node_infers_types_and_names_errors() -> None:
    g = Graph()
    a = g.add_input("a", TensorType(DType.FLOAT32, (2, 3)))
    b = g.add_input("b", TensorType(DType.FLOAT32, (4,)))
    with pytest.raises(ShapeError, match=r"'bad' \(Add\).*do not broadcast"):
        g.add_node(Add, [a, b], name="bad")
    assert g.add_node(Add, [a, a]).output.type == TensorType(DType.FLOAT32, (2, 3))


def test_names_are_unique_per_namespace() -> None:
    g = Graph()
    x = g.add_input("x", TensorType(DType.FLOAT32, (1,)))
    n1 = g.add_node(Relu, [x], name="r")
    n2 = g.add_node(Relu, [n1.output], name="r")
    assert n1.name != n2.name and n1.output.name != n2.output.name
    with pytest.raises(VerificationError, match="already used"):
        g.add_input("x", TensorType(DType.FLOAT32, (1,)))


def test_copy_is_independent() -> None:
    g = chain_graph()
    c = g.copy()
    verify(c)
    assert str(c) == str(g)
    relu = c.nodes[1]
    c.replace_all_uses(relu.output, c.nodes[0].output)
    c.erase(relu)
    assert len(c.nodes) == 2 and len(g.nodes) == 3
    verify(g)
    assert c.constants["b"].data is g.constants["b"].data  # arrays are shared, never mutated


def test_insert_before_keeps_order_valid() -> None:
    g = chain_graph()
    mul = g.nodes[2]
    extra = g.add_node(Relu, [g.inputs[0]], name="extra", before=mul)
    g.set_input(mul, 1, extra.output)
    verify(g)
    assert [n.name for n in g.nodes] == ["add", "relu", "extra", "mul"]


def test_constant_type_matches_data() -> None:
    g = Graph()
    c = g.add_constant("w", np.zeros((2, 2), np.int8))
    assert c.type == TensorType(DType.INT8, (2, 2)) and c.is_constant
    assert g.param_count() == 4
