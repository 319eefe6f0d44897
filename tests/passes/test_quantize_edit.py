"""QuantizeRewriter: the edits quantize-int8 makes beyond the Rewriter keep names, places and io_qparams."""

from __future__ import annotations

import numpy as np
import pytest

from tessera.errors import PassError
from tessera.ir import DType, Graph, TensorType
from tessera.ir.ops import lookup
from tessera.ir.verifier import verify
from tessera.passes.quantize.edit import QuantizeRewriter


def _graph() -> Graph:
    g = Graph("two_outputs")
    x = g.add_input("x", TensorType(DType.FLOAT32, (2, 3)))
    y = g.add_node(lookup("Relu"), [x], name="relu").output
    z = g.add_node(lookup("Neg"), [x], name="neg").output
    g.outputs += [y, z]
    return g


def test_retype_output_gives_the_new_value_the_name_and_place() -> None:
    g = _graph()
    rw = QuantizeRewriter(g)
    y = g.outputs[0]
    scale, zp = rw.constant("s", np.float32(0.1)), rw.constant("zp", np.int8(3))
    q = rw.add_named(lookup("QuantizeLinear"), [y, scale, zp], before=None, name="q", output_name="tmp").output
    rw.retype_output(y, q, (0.1, 3), "y_float")
    assert [v.name for v in g.outputs] == ["relu", "neg"] and g.outputs[0] is q
    assert q.dtype is DType.INT8 and y.name == "y_float" and g.io_qparams == {"relu": (0.1, 3)}
    verify(g)
    with pytest.raises(PassError, match="not an output"):
        rw.retype_output(y, q, (0.1, 3), "again")


def test_retype_input_keeps_name_and_place_and_old_readers_until_rewired() -> None:
    g = _graph()
    rw = QuantizeRewriter(g)
    old = g.inputs[0]
    new = rw.retype_input(old, DType.INT8, (0.5, -1), "x_float")
    assert g.inputs == [new] and new.name == "x" and new.dtype is DType.INT8 and new.shape == (2, 3)
    assert old.name == "x_float" and len(old.users) == 2 and g.io_qparams == {"x": (0.5, -1)}
    with pytest.raises(PassError, match="not an input"):
        rw.retype_input(old, DType.INT8, (0.5, -1), "x_other")


def test_remove_unused_constants_reports_a_change() -> None:
    g = _graph()
    rw = QuantizeRewriter(g)
    rw.constant("unused", np.zeros(3, np.float32))
    rw.changed = False
    assert rw.remove_unused_constants() == 1 and rw.changed and not g.constants
