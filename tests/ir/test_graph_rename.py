"""Graph.rename: node outputs get a new unused name; inputs and constants cannot be renamed."""

from __future__ import annotations

import pytest
from conftest import chain_graph

from tessera.errors import VerificationError
from tessera.ir import DType, Graph, TensorType
from tessera.ir.ops import lookup
from tessera.ir.verifier import verify


def test_rename_node_output_frees_the_old_name() -> None:
    g = chain_graph()
    out = g.outputs[0]
    old = out.name
    g.rename(out, "result")
    assert out.name == "result" and g.value("result") is out
    assert g.unique_name(old) == old  # the old name is free again
    verify(g)


def test_rename_rejects_used_names_and_non_node_values() -> None:
    g = chain_graph()
    with pytest.raises(VerificationError, match="already used"):
        g.rename(g.outputs[0], "x")
    with pytest.raises(VerificationError, match="only node outputs"):
        g.rename(g.inputs[0], "renamed")


def test_rename_carries_an_int8_outputs_qparams() -> None:
    g = Graph("q")
    x = g.add_input("x", TensorType(DType.INT8, (4,)))
    y = g.add_node(lookup("Neg"), [x]).output
    g.outputs.append(y)
    g.io_qparams[y.name] = (0.5, -3)
    old = y.name
    g.rename(y, "logits")
    assert g.io_qparams == {"logits": (0.5, -3)} and old not in g.io_qparams
