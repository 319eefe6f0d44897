"""Names from the model never reach the generated C unescaped: hostile node and tensor names still
give C that compiles under -Wall -Wextra -Werror (and the sanitizers) and runs correctly."""

import re

import numpy as np
from _mcu_helpers import check_on, const, f32, node

from tessera.backends.mcu.names import CNames, c_comment, c_string
from tessera.ir import Graph

HOSTILE = [
    '*/ system("rm -rf /"); /*',
    '"\n#include <stdio.h>\n',
    "\\\nint evil;",
    "??/ trigraph",
    "int",
    "main",
    "naïve ∑ tensor",
    "a b",
    "a-b",
    "a_b",
    "",
    "__reserved",
    "x" * 300,
]


def test_identifiers_are_unique_and_plain() -> None:
    names = CNames("t_")
    idents = [names.get("v", n) for n in HOSTILE]
    assert len(set(idents)) == len(HOSTILE)
    assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,80}", i) for i in idents)
    assert names.get("v", HOSTILE[0]) == idents[0]  # stable


def test_comments_and_strings_are_closed() -> None:
    for text in HOSTILE:
        comment = c_comment(text)
        assert "*/" not in comment and "/*" not in comment and "\n" not in comment and "\\" not in comment
        literal = c_string(text)
        body = literal[1:-1]
        assert literal.startswith('"') and literal.endswith('"')
        assert re.fullmatch(r"([ -!#->@-\[\]-~]|\\[0-7]{3})*", body), body


def strip_comments_and_strings(source: str) -> str:
    """The C source without /* */ comments and string literals: what the compiler sees as code."""
    return re.sub(r'/\*.*?\*/|"(?:[^"\\\n]|\\.)*"', " ", source, flags=re.S)


def hostile_graph() -> Graph:
    g = Graph('evil */ #define x "')
    x = g.add_input(HOSTILE[0], f32((2, 8)))
    h = x
    for i, name in enumerate(HOSTILE[1:]):
        w = const(g, f"{name}#w{i}", np.eye(8) * 0.5 + 0.01 * i)
        h = node(g, "MatMul", [h, w], name=name or None)
        h = node(g, "Relu", [h], name=f"{name}/relu")
    y = node(g, "Add", [h, x], name='");')
    g.outputs.append(y)
    return g


def test_hostile_names_compile_cleanly_and_run(tmp_path) -> None:
    result = check_on(hostile_graph(), sanitize=True, out_dir=tmp_path / "out")
    for name in ("model.c", "model.h", "model_weights.c", "model_weights.h"):
        code = strip_comments_and_strings((tmp_path / "out" / name).read_text())
        for payload in ("system(", "<stdio.h>", "int evil;", "#define x", "??/"):
            assert payload not in code, (name, payload)
    assert result.graph.inputs[0].name == HOSTILE[0]
