"""Model names in generated C. Names come from untrusted models, so none reaches the source as is:
identifiers are rebuilt from [A-Za-z0-9_] with a unique numeric suffix, and text for comments or
string literals keeps printable ASCII only, with comment and escape sequences broken up."""

from __future__ import annotations

import re

_C_KEYWORDS = frozenset(
    [
        "auto",
        "break",
        "case",
        "char",
        "const",
        "continue",
        "default",
        "do",
        "double",
        "else",
        "enum",
        "extern",
        "float",
        "for",
        "goto",
        "if",
        "inline",
        "int",
        "long",
        "register",
        "restrict",
        "return",
        "short",
        "signed",
        "sizeof",
        "static",
        "struct",
        "switch",
        "typedef",
        "union",
        "unsigned",
        "void",
        "volatile",
        "while",
        "_Bool",
        "_Complex",
        "_Imaginary",
        "main",
    ]
)
_UNSAFE = re.compile(r"[^A-Za-z0-9_]+")
_MAX_STEM = 40


class CNames:
    """Hands out C identifiers, one per (kind, model name), never two alike."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self._given: dict[tuple[str, str], str] = {}
        self._used: set[str] = set()

    def get(self, kind: str, name: str) -> str:
        key = (kind, name)
        if key not in self._given:
            stem = _UNSAFE.sub("_", name).strip("_")[:_MAX_STEM] or "v"
            base = f"{self.prefix}{kind}_{stem}"
            ident, n = base, 1
            while ident in self._used or ident in _C_KEYWORDS or ident.startswith("__"):
                n += 1
                ident = f"{base}_{n}"
            self._used.add(ident)
            self._given[key] = ident
        return self._given[key]


def c_comment(text: str, limit: int = 80) -> str:
    """Text safe inside a /* */ comment on one line: printable ASCII, no comment delimiters,
    no trigraph or line-splice characters."""
    safe = "".join(c if " " <= c <= "~" and c not in "\\?" else "?" for c in text[:limit])
    while "/*" in safe or "*/" in safe:
        safe = safe.replace("/*", "/ *").replace("*/", "* /")
    return safe


def c_string(text: str, limit: int = 80) -> str:
    """A C string literal (with its quotes) holding printable ASCII only, octal-escaped otherwise."""
    out: list[str] = []
    for ch in text[:limit]:
        if ch in '\\"?' or not " " <= ch <= "~":
            out.extend(f"\\{b:03o}" for b in ch.encode())
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'
