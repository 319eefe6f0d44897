from conftest import chain_graph

from tessera.ir import DType, Graph, TensorType, print_graph
from tessera.ir.ops import lookup

GOLDEN = """\
graph chain(%x: f32[2,3]) -> (%mul) {
  const %b: f32[3]
  %add: f32[2,3] = Add(%x, %b)  # add
  %relu: f32[2,3] = Relu(%add)  # relu
  %mul: f32[2,3] = Mul(%relu, %x)  # mul
  return %mul
}"""


def test_golden_text() -> None:
    assert print_graph(chain_graph()) == GOLDEN


def test_odd_names_are_quoted_and_attrs_sorted() -> None:
    g = Graph("g")
    x = g.add_input("in put;", TensorType(DType.FLOAT32, (1, 2)))
    d = g.add_node(lookup("Dropout"), [x], {"seed": 3}, name="d")
    g.outputs.append(d.output)
    text = print_graph(g)
    assert "%'in put;'" in text
    assert "{ratio=0.5, seed=3}" in text
