"""The IR interpreter: run / run_node / execute, the checks it makes, and the backend re-export."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from conftest import chain_graph

import tessera.backends.reference
from tessera.errors import ExecutionError
from tessera.ir import DType, Graph, Interpreter, Node, TensorType, execute, parse

X = np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5


class Recorder(Interpreter):
    """Sees every node's results, as calibration and debugging do."""

    def __init__(self, graph: Graph):
        super().__init__(graph)
        self.seen: dict[str, np.ndarray] = {}

    def run_node(self, node: Node, args: Sequence[np.ndarray]) -> list[np.ndarray]:
        results = super().run_node(node, args)
        self.seen.update((out.name, r) for out, r in zip(node.outputs, results))
        return results


def test_execute_computes_the_chain() -> None:
    out = execute(chain_graph(), {"x": X})
    np.testing.assert_array_equal(out["mul"], np.maximum(X + 0.5, 0) * X)
    assert list(out) == ["mul"]


def test_capture_returns_every_value() -> None:
    values = execute(chain_graph(), {"x": X}, capture=True)
    assert list(values) == ["x", "b", "add", "relu", "mul"]
    np.testing.assert_array_equal(values["add"], X + 0.5)


def test_run_node_observes_every_intermediate() -> None:
    recorder = Recorder(chain_graph())
    out = recorder.run({"x": X})
    assert sorted(recorder.seen) == ["add", "mul", "relu"]
    np.testing.assert_array_equal(recorder.seen["relu"], np.maximum(X + 0.5, 0))
    np.testing.assert_array_equal(out["mul"], recorder.seen["mul"])


def test_run_node_can_change_values() -> None:
    class ZeroRelu(Interpreter):
        def run_node(self, node: Node, args: Sequence[np.ndarray]) -> list[np.ndarray]:
            results = super().run_node(node, args)
            return [np.zeros_like(r) for r in results] if node.op.name == "Relu" else results

    assert not ZeroRelu(chain_graph()).run({"x": X})["mul"].any()


def test_inputs_are_checked() -> None:
    with pytest.raises(ExecutionError, match=r"takes inputs \['x'\]; missing \['x'\], unexpected \['y'\]"):
        execute(chain_graph(), {"y": X})
    with pytest.raises(
        ExecutionError, match=r"input 'x' must be an np.ndarray of float32, shape \[2, 3\], got float64 \[2, 3\]"
    ):
        execute(chain_graph(), {"x": X.astype(np.float64)})


def test_a_failing_kernel_names_its_node() -> None:
    g = parse("""\
graph g(%x: f32[2]) -> (%y) {
  const %i: i64[1] = 5
  %y: f32[1] = Gather(%x, %i)  # pick
  return %y
}""")
    with pytest.raises(ExecutionError, match=r"node 'pick' \(Gather\) failed: IndexError"):
        execute(g, {"x": np.ones(2, np.float32)})


def test_a_kernel_disagreeing_with_inference_is_caught() -> None:
    class Wrong(Interpreter):
        def run_node(self, node: Node, args: Sequence[np.ndarray]) -> list[np.ndarray]:
            return super().run_node(node, [a.astype(np.float64) for a in args])

    with pytest.raises(ExecutionError, match=r"kernel returned float64\[2, 3\] for 'add', its type is f32\[2,3\]"):
        Wrong(chain_graph()).run({"x": X})


def test_reference_backend_re_exports_the_interpreter() -> None:
    assert tessera.backends.reference.execute is execute
    assert tessera.backends.reference.Interpreter is Interpreter
    g = Graph("empty")
    x = g.add_input("x", TensorType(DType.FLOAT32, (1,)))
    g.outputs.append(x)
    assert execute(g, {"x": np.ones(1, np.float32)})["x"].tolist() == [1.0]
