"""CPU (TVM) coverage: every registry op is in the lowering table or in missing_ops() with a reason,
never both. The table holds TVM expressions, so it needs TVM installed."""

from conftest import require

from tessera.ir.ops import all_ops


def test_every_registry_op_is_lowered_or_missing_with_a_reason() -> None:
    require("tvm", "the CPU lowering table is built from TVM's Relax ops")
    from tessera.backends.cpu.lower import missing_ops
    from tessera.backends.cpu.lowering import RULES

    missing = missing_ops()
    assert not set(RULES) & set(missing), "an op is both lowered and missing"
    unplaced = [op.name for op in all_ops() if op not in RULES and op not in missing]
    assert not unplaced, f"ops neither in the CPU RULES nor in lowering/missing.py: {unplaced}"
    assert all(isinstance(why, str) and why.strip() for why in missing.values())
    assert set(RULES) <= set(all_ops())
