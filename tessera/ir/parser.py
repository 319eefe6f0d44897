"""Reads the text `tessera.ir.printer` writes back into a Graph: `str(parse(str(g))) == str(g)`.

    graph main(%x: f32[2,3]) -> (%y) {
      const %b: f32[3] = 0.5                     # a splat: every element 0.5
      const %s: i64[2] = [1, 6]                  # a flat row-major list
      const %w: f32[4,3,3,3]                     # no data: taken from parse(..., constants={"w": array})
      %t: f32[2,3] = Add(%x, %b)  # add          # the comment after the node is the node's name
      %y: f32[2,3] = Relu(%t)  # relu
      return %y
    }

Attributes are read through the op's schema (`{perm=[1,0]}`, `{to=f32}`, `{mode='constant'}`); a
declared output type must equal what the op infers. Blank lines and lines starting with `#` are
skipped. Every error is a ParseError naming the line, the column and what was expected.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial

import numpy as np

from tessera.errors import ParseError, ShapeError, VerificationError
from tessera.ir._text_cursor import Cursor, Literal, Word
from tessera.ir.dtypes import DType
from tessera.ir.graph import Graph, Value
from tessera.ir.ops import lookup
from tessera.ir.ops.base import Attr, AttrValue, Op
from tessera.ir.types import TensorType
from tessera.ir.verifier import verify


def parse(text: str, constants: Mapping[str, np.ndarray] | None = None) -> Graph:
    """The graph `text` describes. `constants` gives the data of constants the text declares
    without a literal (large weights); each array must match the declared type."""
    lines = [(i + 1, line) for i, line in enumerate(text.splitlines()) if _meaningful(line)]
    if not lines:
        raise ParseError("line 1, column 1: expected 'graph NAME(...) -> (...) {', found an empty text")
    builder = _Builder(dict(constants or {}))
    builder.header(Cursor(lines[0][1], lines[0][0]))
    for number, line in lines[1:]:
        if builder.done:
            raise Cursor(line, number).error("nothing after the closing '}'")
        builder.line(Cursor(line, number))
    if not builder.done:
        raise ParseError(f"line {lines[-1][0]}: the graph is not closed; expected 'return ...' and '}}'")
    return builder.finish()


def _meaningful(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


class _Builder:
    """Adds what each line declares to the graph."""

    def __init__(self, constants: dict[str, np.ndarray]):
        self.graph = Graph()
        self.env: dict[str, Value] = {}
        self.constants = constants
        self.node_names: set[str] = set()
        self.declared_outputs: list[str] = []  # the header's; the return line must agree
        self.returned = False
        self.done = False

    def header(self, cur: Cursor) -> None:
        cur.expect("graph")
        self.graph.name = cur.name()
        cur.expect("(")
        while not cur.accept(")"):
            if self.graph.inputs:
                cur.expect(",")
            name, at = cur.ref()
            cur.expect(":")
            type = cur.type()
            self.define(cur, at, partial(self.graph.add_input, name, type))
        cur.expect("->")
        cur.expect("(")
        while not cur.accept(")"):
            if self.declared_outputs:
                cur.expect(",")
            self.declared_outputs.append(cur.ref()[0])
        cur.expect("{")
        cur.expect_end()

    def line(self, cur: Cursor) -> None:
        if self.returned:
            cur.expect("}")
            cur.expect_end()
            self.done = True
        elif cur.accept("qparams"):
            self.qparams(cur)
        elif cur.accept("const"):
            self.constant(cur)
        elif cur.accept("return"):
            self.graph_return(cur)
        else:
            self.node(cur)

    def define(self, cur: Cursor, at: int, make: Callable[[], Value]) -> Value:
        try:
            value = make()
        except VerificationError as err:
            raise cur.fail(str(err), at) from None
        self.env[value.name] = value
        return value

    def lookup_value(self, cur: Cursor) -> Value:
        name, at = cur.ref()
        if name not in self.env:
            raise cur.fail(f"value %{name} is not defined above this line (inputs, constants and node outputs)", at)
        return self.env[name]

    # ---- lines -----------------------------------------------------------------------------------
    def qparams(self, cur: Cursor) -> None:
        name, _ = cur.ref()
        cur.expect(":")
        cur.expect("scale")
        cur.expect("=")
        scale = float(cur.number())
        cur.expect(",")
        cur.expect("zero_point")
        cur.expect("=")
        zero_point = cur.number()
        if not isinstance(zero_point, int):
            raise cur.error("an integer zero point")
        cur.expect_end()
        self.graph.io_qparams[name] = (scale, zero_point)

    def constant(self, cur: Cursor) -> None:
        name, at = cur.ref()
        cur.expect(":")
        type = cur.type()
        data = _literal_data(cur, type) if cur.accept("=") else self.given_data(cur, name, type, at)
        cur.expect_end()
        self.define(cur, at, partial(self.graph.add_constant, name, data))

    def given_data(self, cur: Cursor, name: str, type: TensorType, at: int) -> np.ndarray:
        if name not in self.constants:
            raise cur.fail(
                f"constant %{name} has no data: write it inline (`= 0.5` or `= [1, 2]`) "
                f"or pass parse(text, constants={{{name!r}: array}})",
                at,
            )
        data = np.asarray(self.constants.pop(name))
        if data.shape != type.shape or data.dtype != type.dtype.numpy():
            raise cur.fail(
                f"constants[{name!r}] is {data.dtype}{list(data.shape)}; the text declares {type} "
                f"({type.dtype.value}, shape {list(type.shape)})",
                at,
            )
        return data

    def node(self, cur: Cursor) -> None:
        outs: list[tuple[str, int, TensorType]] = []
        while not outs or cur.accept(","):
            name, at = cur.ref()
            cur.expect(":")
            outs.append((name, at, cur.type()))
        cur.expect("=")
        op = _op(cur)
        cur.expect("(")
        args: list[Value] = []
        while not cur.accept(")"):
            if args:
                cur.expect(",")
            args.append(self.lookup_value(cur))
        attrs = _attrs(cur, op) if cur.at("{") else {}
        node_name = self.node_name(cur)
        try:
            node = self.graph.add_node(op, args, attrs, name=node_name, output_names=[o[0] for o in outs])
        except (ShapeError, VerificationError) as err:
            raise cur.fail(str(err), outs[0][1]) from None
        for (name, at, declared), value in zip(outs, node.outputs):
            if value.type != declared:
                raise cur.fail(f"%{name} is declared {declared}, but {op.name} infers {value.type}", at)
            self.env[name] = value

    def node_name(self, cur: Cursor) -> str | None:
        if not cur.accept("#"):
            cur.expect_end()
            return None
        start = cur.mark()
        text = cur.rest()
        name = Cursor(text, cur.line).string() if text[:1] in ("'", '"') else text
        if name in self.node_names:
            raise cur.fail(f"node name {name!r} is used twice", start)
        self.node_names.add(name)
        return name

    def graph_return(self, cur: Cursor) -> None:
        start = cur.mark()
        while not cur.at_end():
            if self.graph.outputs:
                cur.expect(",")
            self.graph.outputs.append(self.lookup_value(cur))
        returned = [v.name for v in self.graph.outputs]
        if returned != self.declared_outputs:
            raise cur.fail(f"the graph returns {returned}, its header declares {self.declared_outputs}", start)
        self.returned = True

    def finish(self) -> Graph:
        if self.constants:
            names = ", ".join(sorted(self.constants))
            raise ParseError(f"constants= names {names}, which the text does not declare as data-less constants")
        unknown = sorted(set(self.graph.io_qparams) - set(self.env))
        if unknown:
            raise ParseError(f"qparams name {', '.join(unknown)}, which the graph does not define")
        verify(self.graph)
        return self.graph


# ---- ops and attributes --------------------------------------------------------------------------
def _op(cur: Cursor) -> type[Op]:
    start = cur.mark()
    full = cur.op_name()
    domain, _, name = full.rpartition(".")
    op = lookup(name, domain)
    if op is None:
        raise cur.fail(f"unknown op {full!r} (domain {domain or 'ai.onnx'!r}); see tessera.ir.ops.all_ops()", start)
    return op


def _attrs(cur: Cursor, op: type[Op]) -> dict[str, AttrValue]:
    cur.expect("{")
    attrs: dict[str, AttrValue] = {}
    while not cur.accept("}"):
        if attrs:
            cur.expect(",")
        at = cur.mark()
        key = cur.word()
        spec = op.attrs.get(key)
        if spec is None:
            raise cur.fail(f"{op.name} has no attribute {key!r}; it has {sorted(op.attrs)}", at)
        cur.expect("=")
        attrs[key] = _attr_value(cur, spec, cur.literal(), f"{op.name}.{key}", at)
    return attrs


def _attr_value(cur: Cursor, spec: Attr, value: Literal, label: str, at: int) -> AttrValue:
    is_list = spec.kind in ("ints", "floats", "strs")
    if isinstance(value, list) != is_list:
        raise cur.fail(f"attribute {label} is of kind {spec.kind}; write {'a list' if is_list else 'one value'}", at)
    if spec.kind == "dtype":
        if not isinstance(value, Word) or value.text not in {d.short for d in DType}:
            raise cur.fail(f"attribute {label} is a dtype; write one of {[d.short for d in DType]}", at)
        return DType.from_short(value.text)
    items = value if isinstance(value, list) else [value]
    wants_text = spec.kind in ("str", "strs")
    if any(isinstance(v, (Word, list)) or isinstance(v, str) != wants_text for v in items):
        hint = "quote each string" if wants_text else "write numbers unquoted"
        raise cur.fail(f"attribute {label} is of kind {spec.kind}; {hint}", at)
    try:
        return spec.normalize(tuple(value) if isinstance(value, list) else value)
    except (TypeError, ValueError) as err:
        raise cur.fail(f"attribute {label} ({spec.kind}): {err}", at) from None


# ---- constant literals ---------------------------------------------------------------------------
def _literal_data(cur: Cursor, type: TensorType) -> np.ndarray:
    start = cur.mark()
    value = cur.literal()
    items = value if isinstance(value, list) else [value]
    if any(isinstance(v, (Word, list, str)) for v in items):
        raise cur.fail("a constant's data is a number or a flat list of numbers (True / False for bool)", start)
    if isinstance(value, list) and len(value) != type.numel:
        raise cur.fail(f"{type} holds {type.numel} elements; the list has {len(value)}", start)
    if type.dtype.is_int and any(isinstance(v, float) for v in items):
        raise cur.fail(f"{type.dtype.short} data must be integers", start)
    try:
        if isinstance(value, list):
            return np.array(value, dtype=type.dtype.numpy()).reshape(type.shape)
        return np.full(type.shape, value, dtype=type.dtype.numpy())
    except (OverflowError, ValueError) as err:
        raise cur.fail(f"the data does not fit {type.dtype.value}: {err}", start) from None
