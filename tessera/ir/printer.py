"""A stable text form of a graph, for humans and for golden tests.

graph main(%x: f32[1,3,8,8]) -> (%y) {
  const %w: f32[4,3,3,3]
  %y: f32[1,4,6,6] = Conv(%x, %w) {dilations=[1,1], group=1, ...}  # conv0
  return %y
}
"""

from __future__ import annotations

import re

from tessera.ir.dtypes import DType
from tessera.ir.graph import Graph, Node, Value

_PLAIN = re.compile(r"^[A-Za-z0-9_.:/\-]+$")


def ref(value: Value) -> str:
    """%name, quoted when the name has characters outside [A-Za-z0-9_.:/-]."""
    return "%" + (value.name if _PLAIN.match(value.name) else repr(value.name))


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


def format_node(node: Node) -> str:
    outs = ", ".join(f"{ref(o)}: {o.type}" for o in node.outputs)
    args = ", ".join(ref(v) for v in node.inputs)
    attrs = ", ".join(f"{k}={format_attr(v)}" for k, v in sorted(node.attrs.items()) if v is not None)
    domain = f"{node.op.domain}." if node.op.domain else ""
    text = f"{outs} = {domain}{node.op.name}({args})"
    if attrs:
        text += " {" + attrs + "}"
    return f"{text}  # {node.name}"


def print_graph(graph: Graph) -> str:
    ins = ", ".join(f"{ref(v)}: {v.type}" for v in graph.inputs)
    outs = ", ".join(ref(v) for v in graph.outputs)
    lines = [f"graph {graph.name}({ins}) -> ({outs}) {{"]
    lines += [f"  const {ref(v)}: {v.type}" for v in graph.constants.values()]
    lines += [f"  {format_node(n)}" for n in graph.nodes]
    lines.append(f"  return {outs}")
    lines.append("}")
    return "\n".join(lines)
