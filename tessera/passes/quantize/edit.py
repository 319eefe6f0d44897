"""The Rewriter, plus the few edits quantization needs that `tessera.ir.rewriter.Rewriter` lacks.

Quantizing changes a graph's interface (int8 inputs and outputs under their float names), names its
new values (`conv1_i8`, which later passes and users refer to), and appends the output conversions
after the last node. Each edit below keeps names, order and use-lists right and is small enough to
move into the Rewriter itself; then this module becomes `Rewriter`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tessera.errors import PassError
from tessera.ir.dtypes import DType
from tessera.ir.graph import Node, Value
from tessera.ir.ops.base import Op
from tessera.ir.rewriter import Rewriter


class QuantizeRewriter(Rewriter):
    """A Rewriter that can also name outputs, append nodes, retype graph inputs and outputs, and drop
    constants nothing reads."""

    def add_named(
        self,
        op: type[Op],
        inputs: Sequence[Value],
        attrs: Mapping[str, Any] | None = None,
        *,
        before: Node | None,
        name: str,
        output_name: str,
    ) -> Node:
        """A one-output node whose output is called `output_name` (a name not in use), inserted
        before `before`, or after the last node when `before` is None."""
        self.changed = True
        return self.graph.add_node(op, inputs, attrs, name=name, output_names=[output_name], before=before)

    def take_node_name(self, new: Node, old: Node) -> None:
        """`new` takes the node name of `old` (which is to be erased) and `old` takes new's."""
        old.name, new.name = new.name, old.name

    def retype_input(self, old: Value, dtype: DType, qparams: tuple[float, int], rest_name: str) -> Value:
        """Graph input `old` becomes a new input of `dtype` with its name, position and the
        (scale, zero point) `qparams`. `old` leaves the interface under `rest_name` (unused), keeping
        its readers until the caller rewires them."""
        if old not in self.graph.inputs:
            raise PassError(f"retype_input: {old.name!r} is not an input of graph {self.graph.name!r}")
        new = self.graph.add_input(rest_name, old.type.with_dtype(dtype))
        self.graph.inputs.remove(new)
        self.graph.inputs[self.graph.inputs.index(old)] = new
        self._swap_names(old, new)
        self.graph.io_qparams[new.name] = qparams
        self.changed = True
        return new

    def retype_output(self, old: Value, new: Value, qparams: tuple[float, int], rest_name: str) -> Value:
        """Graph output `old` becomes `new` (another dtype), which takes its name when both are node
        outputs (`old` is then called `rest_name`), with the (scale, zero point) `qparams`."""
        if old not in self.graph.outputs:
            raise PassError(f"retype_output: {old.name!r} is not an output of graph {self.graph.name!r}")
        renamable = old.producer is not None and new.producer is not None and new not in self.graph.outputs
        self.graph.outputs = [new if v is old else v for v in self.graph.outputs]
        if renamable:
            name = old.name
            self.graph.rename(old, rest_name)
            self.graph.rename(new, name)
        self.graph.io_qparams[new.name] = qparams
        self.changed = True
        return new

    def remove_unused_constants(self) -> int:
        """Drop the constants nothing reads (and that are not graph outputs)."""
        count = self.graph.remove_unused_constants()
        self.changed = self.changed or count > 0
        return count
