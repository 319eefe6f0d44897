"""Constant folding: a node whose inputs are all constants (or whose op depends on input types only,
like Shape) is evaluated with its op's reference kernel and replaced by constants."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tessera.errors import PassError
from tessera.ir.graph import Node, Value
from tessera.ir.interpreter import Interpreter
from tessera.ir.rewriter import RewritePattern, Rewriter
from tessera.passes.base import Report
from tessera.passes.canonicalize._util import PatternPass, Rewrites, is_read
from tessera.passes.registry import register_pass

MiB = 1 << 20


@dataclass
class FoldConstantsReport(Report):
    nodes_folded: int = 0
    bytes_added: int = 0
    skipped_too_large: int = 0


@dataclass
class FoldConstantNode(RewritePattern):
    """op(const, const, ...) -> const, unless the results would exceed `max_bytes`."""

    max_bytes: int
    report: FoldConstantsReport = field(default_factory=FoldConstantsReport)
    skipped: set[str] = field(default_factory=set)

    def match_and_rewrite(self, node: Node, rw: Rewriter) -> None:
        if not node.op.fold_from_types and not all(v.is_constant for v in node.inputs):
            return
        live = [out for out in node.outputs if is_read(out, rw.graph)]
        if not live:
            return  # dead: dce removes it
        size = sum(out.type.nbytes for out in node.outputs)  # the kernel computes every output
        if size > self.max_bytes:
            if node.name not in self.skipped:
                self.skipped.add(node.name)
                self.report.skipped_too_large += 1
            return
        results = Interpreter(rw.graph).run_node(node, [_operand(v) for v in node.inputs])
        for out, array in zip(node.outputs, map(_contiguous, results)):
            if out in live:
                rw.replace_all_uses(out, rw.constant(out.name, array), take_name=True)
        rw.erase(node)
        self.report.nodes_folded += 1
        self.report.bytes_added += sum(out.type.nbytes for out in live)


@register_pass
@dataclass(frozen=True)
class FoldConstants(PatternPass):
    """Evaluate nodes computable at compile time and replace them by constants.

    Results larger than `max_bytes` in total are not folded (an Expand of a scalar to a huge tensor
    is cheaper to compute than to store)."""

    name = "fold-constants"
    max_bytes: int = field(default=64 * MiB, metadata={"help": "fold no node whose results exceed this many bytes"})

    def __post_init__(self) -> None:
        if self.max_bytes < 0:
            raise PassError(f"fold-constants: max_bytes must be >= 0 (0 folds nothing), got {self.max_bytes}")

    def rewrites(self) -> Rewrites:
        pattern = FoldConstantNode(self.max_bytes)
        return Rewrites(pattern.report, (pattern,))


def _operand(value: Value) -> np.ndarray:
    """The constant's data; for a non-constant input of a type-only op, a zero-size-in-memory
    stand-in with the right shape and dtype."""
    if value.data is not None:
        return value.data
    return np.broadcast_to(np.zeros((), value.dtype.numpy()), value.shape)


def _contiguous(array: np.ndarray) -> np.ndarray:
    """A C-contiguous array (np.ascontiguousarray alone would turn a 0-d result into 1-d)."""
    return array if array.flags.c_contiguous else np.ascontiguousarray(array)
