"""Every registry op has a torch kernel; the ops without a gradient say why."""

from __future__ import annotations

from conftest import TORCH, require

require("torch", TORCH)

from tessera.backends.torch.table import TABLE  # noqa: E402
from tessera.ir.ops import all_ops  # noqa: E402


def test_every_registry_op_has_a_torch_kernel():
    missing = sorted(op.name for op in all_ops() if op not in TABLE)
    assert not missing, f"ops without a torch kernel: {', '.join(missing)}"


def test_no_gradient_reasons_are_sentences():
    for op, kernel in TABLE.items():
        if kernel.no_grad is not None:
            assert len(kernel.no_grad) > 10, f"{op.name}: say why it has no gradient"
