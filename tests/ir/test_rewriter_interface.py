"""The Rewriter's edits of a graph's interface and names (what quantize-int8 needs): named outputs,
appended nodes, node names taken over, retyped graph inputs and outputs with their io_qparams."""

from __future__ import annotations

import numpy as np
import pytest

from tessera.errors import PassError, VerificationError
from tessera.ir import DType, Graph, TensorType
from tessera.ir.ops.activation import Relu
from tessera.ir.ops.math_unary import Abs, Neg
from tessera.ir.ops.quantized import QuantizeLinear
from tessera.ir.rewriter import DeadCode, Rewriter
from tessera.ir.verifier import verify


def _graph() -> Graph:
    g = Graph("two_outputs")
    x = g.add_input("x", TensorType(DType.FLOAT32, (2, 3)))
    y = g.add_node(Relu, [x], name="relu").output
    z = g.add_node(Neg, [x], name="neg").output
    g.outputs += [y, z]
    return g


def test_add_names_outputs_and_appends_without_before() -> None:
    g = _graph()
    rw = Rewriter(g)
    node = rw.add(Abs, [g.outputs[0]], name="abs", output_names=["magnitude"])
    assert g.nodes[-1] is node and node.output.name == "magnitude" and rw.changed and g.has_name("magnitude")
    with pytest.raises(VerificationError, match="already used"):
        rw.add(Abs, [g.outputs[0]], name="abs", output_names=["magnitude"])


def test_take_node_name_swaps_the_names() -> None:
    g = _graph()
    rw = Rewriter(g)
    old = g.node("relu")
    new = rw.add(Abs, [g.inputs[0]], name="relu", before=old)
    assert new.name != "relu"
    rw.take_node_name(new, old)
    assert new.name == "relu" and old.name not in ("relu", "")
    rw.replace(old, [new.output])
    verify(g)
    assert [n.name for n in g.nodes] == ["relu", "neg"]


def test_retype_output_gives_the_new_value_the_name_and_place() -> None:
    g = _graph()
    rw = Rewriter(g)
    y = g.outputs[0]
    scale, zp = rw.constant("s", np.asarray(np.float32(0.1))), rw.constant("zp", np.asarray(np.int8(3)))
    q = rw.add(QuantizeLinear, [y, scale, zp], name="q", output_names=["tmp"]).output
    rw.retype_output(y, q, (0.1, 3), "y_float")
    assert [v.name for v in g.outputs] == ["relu", "neg"] and g.outputs[0] is q
    assert q.dtype is DType.INT8 and y.name == "y_float" and g.io_qparams == {"relu": (0.1, 3)}
    verify(g)
    with pytest.raises(PassError, match="not an output"):
        rw.retype_output(y, q, (0.1, 3), "again")


def test_retype_input_keeps_name_and_place_and_old_readers_until_rewired() -> None:
    g = _graph()
    rw = Rewriter(g)
    old = g.inputs[0]
    new = rw.retype_input(old, DType.INT8, (0.5, -1), "x_float")
    assert g.inputs == [new] and new.name == "x" and new.dtype is DType.INT8 and new.shape == (2, 3)
    assert old.name == "x_float" and len(old.users) == 2 and g.io_qparams == {"x": (0.5, -1)}
    with pytest.raises(PassError, match="not an input"):
        rw.retype_input(old, DType.INT8, (0.5, -1), "x_other")


def test_remove_dead_drops_unused_constants_and_reports_a_change() -> None:
    g = _graph()
    rw = Rewriter(g)
    rw.constant("unused", np.zeros(3, np.float32))
    rw.changed = False
    assert rw.remove_dead() == DeadCode(0, 1) and rw.changed and not g.constants


def test_graph_replaces_only_its_own_inputs_and_outputs() -> None:
    g = _graph()
    relu = g.outputs[0]
    with pytest.raises(VerificationError, match="not a graph input"):
        g.replace_input(relu, relu.type, "r")
    with pytest.raises(VerificationError, match="not a graph output"):
        g.replace_output(g.inputs[0], relu)
