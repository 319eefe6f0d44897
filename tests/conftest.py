import numpy as np
import pytest

from tessera.ir import DType, Graph, TensorType
from tessera.ir.ops import lookup


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def chain_graph() -> Graph:
    """x -> Add(x, b) -> Relu -> Mul(., x) -> y"""
    g = Graph("chain")
    x = g.add_input("x", TensorType(DType.FLOAT32, (2, 3)))
    b = g.add_constant("b", np.full((3,), 0.5, np.float32))
    t = g.add_node(lookup("Add"), [x, b], name="add").output
    r = g.add_node(lookup("Relu"), [t], name="relu").output
    y = g.add_node(lookup("Mul"), [r, x], name="mul").output
    g.outputs.append(y)
    return g
