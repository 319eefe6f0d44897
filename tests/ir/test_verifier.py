import pytest
from conftest import chain_graph

from tessera.errors import VerificationError
from tessera.ir import DType, TensorType, verify


def test_valid_graph_passes() -> None:
    verify(chain_graph())


def test_use_before_definition() -> None:
    g = chain_graph()
    g.nodes.reverse()
    with pytest.raises(VerificationError, match="used before it is defined"):
        verify(g)


def test_cycle_is_reported() -> None:
    g = chain_graph()
    add, relu, _ = g.nodes
    g.set_input(add, 0, relu.output)  # add reads relu, relu reads add: a cycle
    with pytest.raises(VerificationError, match="used before it is defined"):
        verify(g)


def test_duplicate_value_name() -> None:
    g = chain_graph()
    g.nodes[1].outputs[0].name = "x"
    with pytest.raises(VerificationError, match="assigned twice"):
        verify(g)


def test_type_disagreeing_with_inference() -> None:
    g = chain_graph()
    g.nodes[1].outputs[0].type = TensorType(DType.FLOAT32, (3, 2))
    with pytest.raises(VerificationError, match="inference says"):
        verify(g)


def test_stale_use_list() -> None:
    g = chain_graph()
    g.inputs[0].users.pop()
    with pytest.raises(VerificationError, match="use-list"):
        verify(g)


def test_undefined_output() -> None:
    g = chain_graph()
    other = chain_graph()
    g.outputs.append(other.outputs[0])
    with pytest.raises(VerificationError, match="not defined"):
        verify(g)
