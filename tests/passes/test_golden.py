"""Golden rewrite tests: each tests/passes/golden/PASS/CASE.before.ir is parsed, PASS runs on it (with
the options of a `# options: {json}` line, if any), and the printed result must equal
CASE.after.ir. Constants print their data (up to INLINE elements), so folded values are compared too.
The result must also verify and compute what the input did (run_checked)."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import pytest
from _pass_helpers import run_checked

from tessera.ir import parse, print_graph

GOLDEN = Path(__file__).parent / "golden"
INLINE = 64
PASSES = ("dce", "fold-constants", "remove-identity", "fold-batchnorm", "simplify-shapes", "canonicalize")
CASES = sorted(GOLDEN.glob("*/*.before.ir"))


def case_id(before: Path) -> str:
    return f"{before.parent.name}/{before.name.removesuffix('.before.ir')}"


def after_path(before: Path) -> Path:
    return before.with_name(before.name.replace(".before.ir", ".after.ir"))


def options_of(text: str) -> dict[str, Any]:
    for line in text.splitlines():
        if line.startswith("# options:"):
            options: dict[str, Any] = json.loads(line.removeprefix("# options:"))
            return options
    return {}


def graph_text(text: str) -> str:
    """The text without comment and blank lines (the printer writes neither)."""
    return "\n".join(line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#"))


def diff(want: str, got: str, name: str) -> str:
    lines = difflib.unified_diff(
        want.splitlines(), got.splitlines(), f"{name}.after.ir", "the pass printed", lineterm=""
    )
    return "\n".join(lines)


@pytest.mark.parametrize("before", CASES, ids=case_id)
def test_golden_rewrite(before: Path) -> None:
    text = before.read_text()
    result = run_checked(before.parent.name, parse(text), rtol=1e-4, **options_of(text))
    got = print_graph(result.graph, inline=INLINE)
    want = graph_text(after_path(before).read_text())
    if got != want:
        pytest.fail(f"{case_id(before)} differs from its golden text:\n{diff(want, got, case_id(before))}", False)


@pytest.mark.parametrize("before", CASES, ids=case_id)
def test_golden_after_text_reads_back(before: Path) -> None:
    want = graph_text(after_path(before).read_text())
    assert print_graph(parse(want), inline=INLINE) == want


def test_every_canonicalization_pass_has_cases() -> None:
    counts = {name: len(list((GOLDEN / name).glob("*.before.ir"))) for name in PASSES}
    assert all(count >= 3 for count in counts.values()), counts
    assert {p.parent.name for p in CASES} == set(PASSES)
    assert all(after_path(p).is_file() for p in CASES)
    assert sorted(GOLDEN.glob("*/*.after.ir")) == sorted(map(after_path, CASES))
