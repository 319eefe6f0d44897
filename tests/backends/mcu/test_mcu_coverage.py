"""MCU coverage: every registry op is in the kernel table or in missing_ops() with a reason, never
both; every Elementwise or View op in the table has an in-place rule or says why not; and a graph
with an op the backend lacks fails with one error naming it."""

import pytest

import tessera
from tessera.backends.mcu import inplace_rules, missing_ops
from tessera.backends.mcu.table import MCU_KERNELS
from tessera.errors import TargetError
from tessera.ir import DType, Graph, TensorType
from tessera.ir.ops import all_ops, lookup
from tessera.ir.traits import Elementwise, View


def test_every_registry_op_is_in_the_table_or_missing_with_a_reason() -> None:
    missing = missing_ops()
    assert not set(MCU_KERNELS) & set(missing), "an op is both in the table and missing"
    unplaced = [op.name for op in all_ops() if op not in MCU_KERNELS and op not in missing]
    assert not unplaced, f"ops neither in MCU_KERNELS nor in missing.py: {unplaced}"
    assert all(isinstance(why, str) and why.strip() for why in missing.values())
    assert set(MCU_KERNELS) | set(missing) == set(all_ops())


def test_elementwise_and_view_kernels_declare_their_in_place_rule() -> None:
    for op, kernel in MCU_KERNELS.items():
        if op.has(Elementwise) or op.has(View):
            assert kernel.inplace is not None or kernel.why_not_inplace, f"{op.name}: in place, or say why not"
    rules = inplace_rules()
    assert set(rules) == {op for op, k in MCU_KERNELS.items() if k.inplace is not None}
    assert rules[lookup("HardSwish")] is MCU_KERNELS[lookup("HardSwish")].inplace


def test_int8_variant_is_chosen_by_the_first_input() -> None:
    g = Graph("v")
    x = g.add_input("x", TensorType(DType.INT8, (1, 4)))
    y = g.add_input("y", TensorType(DType.FLOAT32, (1, 4)))
    clip = MCU_KERNELS[lookup("Clip")]
    assert clip.emitter(g.add_node(lookup("Clip"), [x], {"min": -1.0, "max": 1.0})) is clip.int8
    assert clip.emitter(g.add_node(lookup("Clip"), [y], {"min": -1.0, "max": 1.0})) is clip.emit


def test_a_missing_op_is_named_in_the_error() -> None:
    g = Graph("lacks")
    x = g.add_input("x", TensorType(DType.FLOAT32, (1, 4)))
    g.outputs.append(g.add_node(lookup("Sin"), [x], name="sine").output)
    with pytest.raises(TargetError, match=r"ops it lacks: Sin\)") as err:
        tessera.compile(g, target="mcu", passes=[])
    assert "'Sin sine': no MCU kernel for Sin" in str(err.value)
