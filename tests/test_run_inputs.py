"""One input check on every run entry point: the reference executor, the MCU artifact (host and
QEMU) and the cpu target refuse the same wrong input with the same message, before any build."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from conftest import TVM, require

import tessera
from tessera.errors import ExecutionError
from tessera.ir import parse
from tessera.ir.inputs import check_inputs

GRAPH = """\
graph q(%x: i8[1,4]) -> (%y) {
  %f: f32[1,4] = Cast(%x) {to=f32}
  %y: f32[1,4] = Relu(%f)
  return %y
}"""
GOOD = np.array([[1, -2, 3, -4]], np.int8)

# wrong input -> what the one message says
WRONG: list[tuple[str, Any, str]] = [
    (
        "float into int8",
        {"x": np.ones((1, 4), np.float32)},
        r"^model 'q': input 'x' must be an np.ndarray of int8, shape \[1, 4\], got float32 \[1, 4\]; "
        r"pass np.asarray\(x, dtype=np.int8\) \(if it is the int8 input of a quantized model.*quantize_inputs",
    ),
    ("uint8", {"x": np.ones((1, 4), np.uint8)}, r"got uint8 \[1, 4\]; pass np.asarray\(x, dtype=np.int8\)$"),
    ("float64", {"x": np.ones((1, 4))}, r"got float64 \[1, 4\]; pass np.asarray\(x, dtype=np.int8\) \(if"),
    ("wrong shape", {"x": np.ones((4,), np.int8)}, r"\[1, 4\], got int8 \[4\]; reshape it: x.reshape\(\(1, 4\)\)$"),
    ("a list", {"x": [[1, 2, 3, 4]]}, r"got list \[\[1, 2, 3, 4\]\]; pass np.asarray\(x, dtype=np.int8\)$"),
    ("a scalar", {"x": 3}, r"got int 3; pass np.asarray\(x, dtype=np.int8\)$"),
    ("extra key", {"x": GOOD, "y": GOOD}, r"^model 'q' takes inputs \['x'\]; missing \[\], unexpected \['y'\]; pass"),
    ("missing key", {}, r"^model 'q' takes inputs \['x'\]; missing \['x'\], unexpected \[\]"),
    ("no dict", GOOD, r"^model 'q': inputs must be a dict \{input name: np.ndarray\}, got an np.ndarray of int8 \["),
]
IDS = [case[0] for case in WRONG]


def _message(run: Any, inputs: Any) -> str:
    with pytest.raises(ExecutionError) as err:
        run(inputs)
    return str(err.value)


@pytest.fixture(scope="module")
def graph() -> tessera.Graph:
    return parse(GRAPH)


@pytest.fixture(scope="module")
def mcu(graph: tessera.Graph) -> tessera.CompileResult:
    return tessera.compile(graph, target="mcu")  # generating C needs no compiler; the check runs first


@pytest.mark.parametrize(("case", "inputs", "match"), WRONG, ids=IDS)
def test_reference_and_mcu_refuse_alike(graph, mcu, case: str, inputs: Any, match: str) -> None:
    want = _message(lambda i: tessera.run(graph, i), inputs)
    assert re_search(match, want), want
    assert _message(mcu.run, inputs) == want
    assert _message(lambda i: mcu.run(i, on="qemu"), inputs) == want
    assert _message(tessera.compile(graph).run, inputs) == want  # the reference target's artifact


def test_cpu_refuses_alike(graph) -> None:
    require("tvm", TVM)
    cpu = tessera.compile(graph, target="cpu")
    for case, inputs, _ in WRONG:
        assert _message(cpu.run, inputs) == _message(lambda i: tessera.run(graph, i), inputs), case
    np.testing.assert_array_equal(cpu.run({"x": GOOD})["y"], tessera.run(graph, {"x": GOOD})["y"])


def test_every_bad_input_is_named_at_once() -> None:
    declared = [("a", "float32", (2,)), ("b", "int64", ())]
    with pytest.raises(ExecutionError) as err:
        check_inputs("m", declared, {"a": np.ones(3, np.float32), "b": np.int64(1)})
    text = str(err.value)
    assert text.startswith("model 'm' has 2 bad inputs:\n  input 'a'")
    assert "input 'a' must be an np.ndarray of float32, shape [2], got float32 [3]; reshape it: a.reshape((2,))" in text
    scalar = "input 'b' must be an np.ndarray of int64, shape [], got a numpy int64 scalar"
    assert f"{scalar}; pass np.asarray(b, dtype=np.int64)" in text


def test_exact_arrays_pass_through_unchanged() -> None:
    a, b = np.ones(2, np.float32), np.array(7, np.int64)
    got = check_inputs("m", [("a", "float32", (2,)), ("b", "int64", ())], {"b": b, "a": a})
    assert list(got) == ["a", "b"] and got["a"] is a and got["b"] is b


def re_search(pattern: str, text: str) -> bool:
    import re

    return re.search(pattern, text) is not None
