"""The lowering table: op name -> rule that emits the op into a Relax function (see `_ctx`)."""

from __future__ import annotations

from tessera.backends.cpu.lowering import elementwise, nn, tensor
from tessera.backends.cpu.lowering._ctx import Ctx, Rule

RULES: dict[str, Rule] = {**elementwise.RULES, **nn.RULES, **tensor.RULES}

__all__ = ["RULES", "Ctx", "Rule"]
