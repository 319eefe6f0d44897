"""The lexical half of the IR text parser: a cursor over one line that reads names, types and
literals, and raises ParseError with the line, the column and what it expected."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from tessera.errors import ParseError
from tessera.ir.dtypes import DType
from tessera.ir.types import TensorType

_BARE = re.compile(r"[A-Za-z0-9_.:/\-]+")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OP = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_TYPE = re.compile(r"([a-z][a-z0-9]*)\[([0-9, ]*)\]")
_NUMBER = re.compile(r"[-+]?(?:inf|nan|(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?)(?![A-Za-z0-9_])")
_INT = re.compile(r"[-+]?\d+")


@dataclass(frozen=True)
class Word:
    """A bare word in an attribute or literal: a dtype (f32), True / False."""

    text: str


Literal = int | float | str | bool | Word | list["Literal"]


class Cursor:
    """Reads one line from left to right."""

    def __init__(self, text: str, line: int):
        self.text = text
        self.line = line
        self.pos = 0

    # ---- errors ----------------------------------------------------------------------------------
    def error(self, expected: str, at: int | None = None) -> ParseError:
        pos = self.pos if at is None else at
        found = self.text[pos : pos + 20] or "the end of the line"
        return ParseError(f"line {self.line}, column {pos + 1}: expected {expected}, found {found!r}")

    def fail(self, message: str, at: int | None = None) -> ParseError:
        pos = self.pos if at is None else at
        return ParseError(f"line {self.line}, column {pos + 1}: {message}")

    # ---- basics ----------------------------------------------------------------------------------
    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t":
            self.pos += 1

    def mark(self) -> int:
        """The column where the next token starts (for errors raised after reading it)."""
        self.skip()
        return self.pos

    def at(self, token: str) -> bool:
        self.skip()
        return self.text.startswith(token, self.pos)

    def accept(self, token: str) -> bool:
        if not self.at(token):
            return False
        self.pos += len(token)
        return True

    def expect(self, token: str) -> None:
        if not self.accept(token):
            raise self.error(repr(token))

    def at_end(self) -> bool:
        self.skip()
        return self.pos >= len(self.text)

    def expect_end(self) -> None:
        if not self.at_end():
            raise self.error("the end of the line")

    def match(self, pattern: re.Pattern[str], expected: str) -> str:
        self.skip()
        found = pattern.match(self.text, self.pos)
        if found is None:
            raise self.error(expected)
        self.pos = found.end()
        return found.group(0)

    def rest(self) -> str:
        """Everything left on the line, without the separating blanks."""
        self.skip()
        text = self.text[self.pos :].rstrip(" \t")
        self.pos = len(self.text)
        return text

    # ---- names -----------------------------------------------------------------------------------
    def string(self) -> str:
        """A Python string literal, as the printer writes odd names and string attributes."""
        start = self.mark()
        quote = self.text[start : start + 1]
        if quote not in ("'", '"'):
            raise self.error("a quoted string")
        end = start + 1
        while end < len(self.text) and self.text[end] != quote:
            end += 2 if self.text[end] == "\\" else 1
        if end >= len(self.text):
            raise self.fail("the string is not closed", start)
        self.pos = end + 1
        return str(ast.literal_eval(self.text[start : end + 1]))

    def name(self) -> str:
        """A bare name or a quoted one. Bare names may hold ':', so the ': ' before a type ends them."""
        if self.at("'") or self.at('"'):
            return self.string()
        name = self.match(_BARE, "a name")
        if name.endswith(":") and self.text[self.pos : self.pos + 1] == " ":
            self.pos -= 1
            name = name[:-1]
        return name

    def ref(self) -> tuple[str, int]:
        """%name; returns the name and its column (for later errors)."""
        start = self.mark()
        self.expect("%")
        return self.name(), start

    def word(self) -> str:
        return self.match(_WORD, "a word")

    def op_name(self) -> str:
        return self.match(_OP, "an op name")

    def type(self) -> TensorType:
        start = self.mark()
        found = _TYPE.match(self.text, self.pos)
        if found is None:
            raise self.error("a tensor type such as f32[1,3,8,8]")
        try:
            dtype = DType.from_short(found.group(1))
        except KeyError:
            raise self.fail(f"unknown dtype {found.group(1)!r}; one of {[d.short for d in DType]}", start) from None
        dims = found.group(2).replace(" ", "")
        self.pos = found.end()
        return TensorType(dtype, tuple(int(d) for d in dims.split(",")) if dims else ())

    # ---- literals --------------------------------------------------------------------------------
    def number(self) -> int | float:
        text = self.match(_NUMBER, "a number")
        return int(text) if _INT.fullmatch(text) else float(text)

    def literal(self) -> Literal:
        """A list, string, number, True / False, or a bare word."""
        if self.accept("["):
            items: list[Literal] = []
            while not self.accept("]"):
                if items:
                    self.expect(",")
                items.append(self.literal())
            return items
        if self.at("'") or self.at('"'):
            return self.string()
        self.skip()
        if _NUMBER.match(self.text, self.pos):
            return self.number()
        word = self.match(_WORD, "a value (number, string, list or word)")
        if word in ("True", "False"):
            return word == "True"
        return Word(word)
