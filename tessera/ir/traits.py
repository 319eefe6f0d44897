"""Op traits: facts about an op that passes and backends query instead of lists of op names.

An op declares its traits once, on its class (`traits = frozenset({Elementwise})`), and code asks
`node.op.has(Elementwise)`. Traits form a small hierarchy: an op with a trait also has every trait
that trait derives from (an Elementwise op is Pointwise). tests/ir/test_traits.py checks each trait
against the op's reference kernel, so a wrong declaration fails there.
"""

from __future__ import annotations


class Trait:
    """Base of every trait. Traits are marker classes: they carry no state."""


class Pointwise(Trait):
    """Output pixel (n, c, h, w) reads only pixel (h, w) of every activation input: what patch-based
    tiling may run on a patch (activations, elementwise arithmetic, quantize / dequantize per channel,
    Identity). Constants may still differ per channel."""


class Elementwise(Pointwise):
    """HMCOS's elementwise ops: out[i] comes from in[i] of every operand alone, the operands
    broadcasting (numpy rules) to the output's shape."""


class View(Trait):
    """Only reinterprets its input's bytes: the output holds the same bytes in the same order under
    another shape (Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout at inference)."""


class Windowed(Trait):
    """A sliding window over the spatial axes of an NC(H)W input (convolutions and pools): output
    rows [o0, o1) read input rows [o0*s - p, (o1-1)*s - p + (k-1)*d + 1)."""


__all__ = ["Elementwise", "Pointwise", "Trait", "View", "Windowed"]
