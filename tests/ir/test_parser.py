"""The IR text parser: it reads back what the printer writes (test builders, light models,
quantized graphs, random graphs), reads inline constant data, and reports errors by line and column."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import chain_graph
from hypothesis import given, settings
from hypothesis import strategies as st

import tessera
from tessera.errors import ParseError
from tessera.ir import DType, Graph, TensorType, parse, print_graph
from tessera.ir.printer import format_data
from tessera.models_zoo.light import NAMES

sys.path.insert(0, str(Path(__file__).parents[1] / "passes"))
import arena_dags
import sched_dags
from _pass_helpers import op, random_graph

INLINE = 16
BIG = {"bvlc_alexnet", "vgg19", "zfnet512"}  # seconds each to load
LIGHT = [pytest.param(n, marks=pytest.mark.slow) if n in BIG else n for n in NAMES]


def weights(graph: Graph, inline: int | None = None) -> dict[str, np.ndarray]:
    """The constants whose data the text (printed with `inline`) leaves out."""
    return {
        n: v.data
        for n, v in graph.constants.items()
        if v.data is not None and (inline is None or format_data(v.data, inline) is None)
    }


def assert_round_trips(graph: Graph) -> None:
    text = str(graph)
    again = parse(text, constants=weights(graph))
    assert str(again) == text
    inline_text = print_graph(graph, inline=INLINE)
    inline_again = parse(inline_text, constants=weights(graph, INLINE))
    assert print_graph(inline_again, inline=INLINE) == inline_text
    for name, value in graph.constants.items():
        np.testing.assert_array_equal(inline_again.constants[name].data, value.data)
    assert inline_again.io_qparams == graph.io_qparams


def test_chain_graph_reads_back() -> None:
    assert_round_trips(chain_graph())


def test_odd_names_read_back() -> None:
    g = Graph("odd graph")
    x = g.add_input("in put;", TensorType(DType.FLOAT32, (1, 2)))
    y = g.add_input("a:b:", TensorType(DType.FLOAT32, (1, 2)))
    d = g.add_node(op("Dropout"), [x], {"seed": 3}, name=" lead'ing")
    s = g.add_node(op("Add"), [d.output, y], name="/block/Add")
    g.outputs += [s.output, y]
    assert_round_trips(g)


def test_attribute_kinds_read_back() -> None:
    g = Graph("attrs")
    x = g.add_input("x", TensorType(DType.FLOAT32, (2, 3, 4)))
    t = g.add_node(op("Transpose"), [x], {"perm": (2, 0, 1)}).output
    c = g.add_node(op("Cast"), [t], {"to": DType.INT8}).output
    p = g.add_node(op("Pad"), [x], {"pads": (0, 0, 1, 0, 0, 1), "mode": "reflect"}).output
    m = g.add_node(op("LeakyRelu"), [p], {"alpha": 1e-7}).output
    g.outputs += [c, m]
    assert_round_trips(g)


def test_constant_literals() -> None:
    text = """\
graph g(%x: f32[2,3]) -> (%y, %m) {
  # a comment line, and a blank one

  const %b: f32[3] = [0.1, -inf, 3e-08]
  const %z: f32[2,3] = -0.0
  const %k: bool[2] = [True, False]
  const %i: i8[2] = [-128, 127]
  %s: f32[2,3] = Add(%x, %b)  # s
  %y: f32[2,3] = Add(%s, %z)  # y
  %m: i8[2] = Mul(%i, %i)  # m
  return %y, %m
}"""
    g = parse(text)
    data = {name: np.asarray(v.data) for name, v in g.constants.items()}
    np.testing.assert_array_equal(data["b"], np.array([0.1, -np.inf, 3e-8], np.float32))
    assert np.signbit(data["z"]).all() and g.constants["z"].shape == (2, 3)
    assert data["k"].tolist() == [True, False]
    assert data["i"].dtype == np.int8
    assert print_graph(g, inline=4).splitlines()[1:5] == text.splitlines()[3:7]


@pytest.mark.parametrize("name", LIGHT)
def test_light_models_read_back(name: str) -> None:
    assert_round_trips(tessera.load(f"light:{name}"))


def test_quantized_graph_reads_back() -> None:
    result = tessera.quantize("light:squeezenet", random_calibration=2, int8_io=True, eval_samples=1)
    assert result.graph.io_qparams
    assert_round_trips(result.graph)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000))
def test_random_pass_graphs_read_back(seed: int) -> None:
    assert_round_trips(random_graph(seed))


@settings(max_examples=30, deadline=None)
@given(sched_dags.random_dag())
def test_random_schedule_dags_read_back(graph: Graph) -> None:
    assert_round_trips(graph)


@settings(max_examples=30, deadline=None)
@given(arena_dags.random_dag())
def test_random_arena_dags_read_back(graph: Graph) -> None:
    assert_round_trips(graph)


HEAD = "graph g(%x: f32[2]) -> (%y) {\n"
ERRORS = [
    (
        HEAD + "  %y: f32[3] = Relu(%x)  # r\n  return %y\n}",
        "line 2, column 3: %y is declared f32[3], but Relu infers f32[2]",
    ),
    (HEAD + "  %y: f32[2] = Rlu(%x)  # r\n  return %y\n}", "line 2, column 16: unknown op 'Rlu'"),
    (HEAD + "  %y: f32[2] = Relu(%z)  # r\n  return %y\n}", "line 2, column 21: value %z is not defined"),
    (HEAD + "  const %c: f32[2]\n  return %x\n}", "line 2, column 9: constant %c has no data"),
    (HEAD + "  %y: f32[2] = Transpose(%x) {perm=1}  # r\n  return %y\n}", "attribute Transpose.perm is of kind ints"),
    (HEAD + "  %y: f32[2] = Relu(%x) {alpha=1.0}  # r\n  return %y\n}", "Relu has no attribute 'alpha'"),
    (HEAD + "  %y: f32[2] = Pad(%x) {pads=[1, 1], mode=reflect}  # r\n  return %y\n}", "Pad.mode is of kind str"),
    (HEAD + "  %y: f32[2] = LeakyRelu(%x) {alpha='1'}  # r\n  return %y\n}", "write numbers unquoted"),
    (HEAD + "  %y: i8[2] = Cast(%x) {to=q8}  # r\n  return %y\n}", "attribute Cast.to is a dtype"),
    (HEAD + "  %y: f32[2] = Relu(%x)  # r\n  return %y\n", "line 3: the graph is not closed"),
    ("graph g(%x: f32[2) -> (%y) {\n", "line 1, column 13: expected a tensor type"),
    ("graph g(%x: q8[2]) -> (%y) {\n", "line 1, column 13: unknown dtype 'q8'"),
    (HEAD + "  const %c: i8[2] = [1, 2, 3]\n  return %x\n}", "i8[2] holds 2 elements; the list has 3"),
    (HEAD + "  const %c: i8[2] = [1, 300]\n  return %x\n}", "the data does not fit int8"),
    (HEAD + "  %y: f32[2] = Relu(%x)  # r\n  %y: f32[2] = Relu(%x)  # s\n  return %y\n}", "is already used"),
    (HEAD + "  %y: f32[2] = Relu(%x)  # r\n  return %x\n}", "the graph returns ['x'], its header declares ['y']"),
    (HEAD + "  %y: f32[2] = Relu(%x)  # r\n  return %y\n}\nmore", "line 5, column 1: expected nothing after"),
    ("", "expected 'graph NAME"),
]


@pytest.mark.parametrize(("text", "message"), ERRORS, ids=[message[:48] for _, message in ERRORS])
def test_errors_name_line_column_and_expectation(text: str, message: str) -> None:
    with pytest.raises(ParseError) as err:
        parse(text)
    assert message in str(err.value)


def test_constants_argument_is_checked() -> None:
    text = print_graph(chain_graph())
    with pytest.raises(ParseError, match=r"constants\['b'\] is float64\[3\]; the text declares f32\[3\]"):
        parse(text, constants={"b": np.zeros(3)})
    with pytest.raises(ParseError, match="constants= names c, which the text does not declare"):
        parse(text, constants={"b": np.zeros(3, np.float32), "c": np.zeros(1)})
