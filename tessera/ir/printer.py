"""A stable text form of a graph, for humans and for golden tests.

graph main(%x: f32[1,3,8,8]) -> (%y) {
  const %w: f32[4,3,3,3]
  %y: f32[1,4,6,6] = Conv(%x, %w) {dilations=[1,1], group=1, ...}  # conv0
  return %y
}

`print_graph(graph, inline=N)` also prints constant data that fits: a splat (every element equal)
as one number, `const %b: f32[3] = 0.5`, and a constant of at most N elements as a flat row-major
list, `const %s: i64[2] = [1, 6]`. `tessera.ir.parse` reads both forms back. An int8 graph's input
and output quantization prints as `qparams %x: scale=0.05, zero_point=-3`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from tessera.ir.dtypes import DType

if TYPE_CHECKING:  # graph.py imports this module for Graph.__str__
    from tessera.ir.graph import Graph, Node, Value

_PLAIN = re.compile(r"^[A-Za-z0-9_.:/\-]+$")


def quote(name: str) -> str:
    """A name as written in the text: bare when plain, a Python string literal otherwise."""
    return name if _PLAIN.match(name) else repr(name)


def ref(value: Value) -> str:
    """%name, quoted when the name has characters outside [A-Za-z0-9_.:/-]."""
    return "%" + quote(value.name)


def format_attr(value: object) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(format_attr(v) for v in value) + "]"
    if isinstance(value, DType):
        return value.short
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def format_scalar(value: np.generic) -> str:
    """One element of a constant: the shortest text that reads back to the same value."""
    if isinstance(value, np.bool_):
        return str(bool(value))
    if isinstance(value, np.integer):
        return str(int(value))
    return str(value)  # numpy prints the shortest round-tripping form for the element's dtype


def format_data(data: np.ndarray, inline: int) -> str | None:
    """The literal for a constant's data, or None when it is neither a splat nor small enough."""
    flat = data.reshape(-1)
    if flat.size and _is_splat(flat):
        return format_scalar(flat[0])
    if flat.size > inline:
        return None
    return "[" + ", ".join(format_scalar(x) for x in flat) + "]"


def _is_splat(flat: np.ndarray) -> bool:
    first = flat[0]
    if isinstance(first, np.floating) and np.isnan(first):
        return False
    return bool(np.all(flat == first)) and bool(np.all(np.signbit(flat) == np.signbit(first)))


def format_node(node: Node) -> str:
    outs = ", ".join(f"{ref(o)}: {o.type}" for o in node.outputs)
    args = ", ".join(ref(v) for v in node.inputs)
    attrs = ", ".join(f"{k}={format_attr(v)}" for k, v in sorted(node.attrs.items()) if v is not None)
    domain = f"{node.op.domain}." if node.op.domain else ""
    text = f"{outs} = {domain}{node.op.name}({args})"
    if attrs:
        text += " {" + attrs + "}"
    return f"{text}  # {_comment_name(node.name)}"


def _comment_name(name: str) -> str:
    """Node names run to the end of the line; quote the few that would not read back."""
    readable = name and name == name.strip() and name.isprintable() and name[0] not in "'\""
    return name if readable else repr(name)


def format_constant(value: Value, inline: int | None) -> str:
    text = f"const {ref(value)}: {value.type}"
    if inline is None or value.data is None:
        return text
    literal = format_data(value.data, inline)
    return text if literal is None else f"{text} = {literal}"


def print_graph(graph: Graph, *, inline: int | None = None) -> str:
    """The graph as text. With `inline=N`, constants that are splats or have at most N elements
    print their data too; the default prints no constant data."""
    ins = ", ".join(f"{ref(v)}: {v.type}" for v in graph.inputs)
    outs = ", ".join(ref(v) for v in graph.outputs)
    lines = [f"graph {quote(graph.name)}({ins}) -> ({outs}) {{"]
    lines += [
        f"  qparams %{quote(n)}: scale={float(s)!r}, zero_point={int(z)}" for n, (s, z) in graph.io_qparams.items()
    ]
    lines += [f"  {format_constant(v, inline)}" for v in graph.constants.values()]
    lines += [f"  {format_node(n)}" for n in graph.nodes]
    lines.append(f"  return {outs}")
    lines.append("}")
    return "\n".join(lines)
