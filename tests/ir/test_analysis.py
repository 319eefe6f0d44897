import numpy as np
import pytest
from conftest import chain_graph

from tessera.errors import VerificationError
from tessera.ir import DType, Graph, TensorType, to_networkx, topological_order, toposort, verify
from tessera.ir.analysis import activation_peak_bytes
from tessera.ir.ops import lookup

Relu, Add = lookup("Relu"), lookup("Add")


def test_toposort_keeps_valid_order_and_repairs_invalid() -> None:
    g = chain_graph()
    assert topological_order(g) == g.nodes
    expected = [n.name for n in g.nodes]
    g.nodes.reverse()
    toposort(g)
    verify(g)
    assert [n.name for n in g.nodes] == expected


def test_toposort_is_deterministic_among_ready_nodes() -> None:
    g = Graph()
    x = g.add_input("x", TensorType(DType.FLOAT32, (4,)))
    branches = [g.add_node(Relu, [x], name=f"b{i}") for i in range(5)]
    g.outputs += [b.output for b in branches]
    g.nodes.reverse()
    assert [n.name for n in topological_order(g)] == ["b4", "b3", "b2", "b1", "b0"]


def test_cycle_detected() -> None:
    g = chain_graph()
    add, relu, _ = g.nodes
    g.set_input(add, 0, relu.output)
    with pytest.raises(VerificationError, match="cycle"):
        topological_order(g)


def test_networkx_view_has_edges_with_sizes() -> None:
    nxg = to_networkx(chain_graph())
    assert set(nxg.edges) == {("add", "relu"), ("relu", "mul")}
    assert nxg.edges["add", "relu"]["bytes"] == 2 * 3 * 4


def test_activation_peak_on_a_chain() -> None:
    g = Graph()
    x = g.add_input("x", TensorType(DType.FLOAT32, (256,)))  # 1 KiB
    a = g.add_node(Relu, [x]).output
    b = g.add_node(Relu, [a]).output
    c = g.add_node(Add, [b, b]).output
    g.outputs.append(c)
    # x and a live together, then a and b, then b and c: peak is two tensors
    assert activation_peak_bytes(g) == 2 * 1024
    g2 = Graph()
    w = g2.add_constant("w", np.zeros(256, np.float32))
    g2.outputs.append(g2.add_node(Relu, [w]).output)
    assert activation_peak_bytes(g2) == 1024  # constants excluded
