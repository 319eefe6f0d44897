"""The lowering table: op class -> the rule that emits the op into a Relax function (see `_ctx`).
Each family file (binary, elementwise, nn, tensor) holds the rules of its ops; RULES is their union, the one
table `lower` dispatches on and `missing_ops` checks against the registry."""

from __future__ import annotations

from tessera.backends.cpu.lowering import binary, elementwise, nn, tensor
from tessera.backends.cpu.lowering._ctx import Ctx, Rule
from tessera.ir.ops.base import Op

RULES: dict[type[Op], Rule] = {**binary.RULES, **elementwise.RULES, **nn.RULES, **tensor.RULES}

__all__ = ["RULES", "Ctx", "Rule"]
