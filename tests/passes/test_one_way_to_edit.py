"""One way to edit a graph: no module under tessera/passes calls a Graph mutator or assigns a Graph
field itself; every edit goes through the Rewriter (a receiver named `rw`, or `Rewriter(graph)`)."""

import ast
import inspect
from collections import Counter
from pathlib import Path

from tessera.ir.graph import Graph

ROOT = Path(__file__).resolve().parents[2]
PASSES = ROOT / "tessera" / "passes"

# Graph's public methods, split into those that change the graph and those that only read it (or
# reserve a fresh name). A new Graph method must be put in one of the two.
MUTATORS = {
    "add_constant",
    "add_input",
    "add_node",
    "erase",
    "remove_unused_constants",
    "rename",
    "reorder",
    "replace_all_uses",
    "replace_input",
    "replace_output",
    "set_attrs",
    "set_constant",
    "set_input",
}
QUERIES = {
    "can_take_name",
    "copy",
    "has_name",
    "node",
    "op_counts",
    "param_count",
    "unique_name",
    "unique_node_name",
    "value",
    "values",
}
FIELDS = {"constants", "inputs", "io_qparams", "nodes", "outputs"}  # Graph's mutable fields
CONTAINER_EDITS = {"append", "clear", "extend", "insert", "pop", "remove", "setdefault", "update"}


def _is_rewriter(receiver: ast.expr) -> bool:
    if isinstance(receiver, ast.Name):
        return receiver.id == "rw"
    if isinstance(receiver, ast.Attribute):
        return receiver.attr == "rw"
    return isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Name) and receiver.func.id == "Rewriter"


def _field_target(target: ast.expr) -> ast.expr | None:
    """`x.outputs` or `x.constants[k]` as an assignment target: the edited Graph field expression."""
    base = target.value if isinstance(target, ast.Subscript) else target
    if isinstance(base, ast.Attribute) and base.attr in FIELDS:
        return target
    return None


def direct_edits(tree: ast.AST) -> list[str]:
    """The Graph edits in `tree` that bypass the Rewriter, as source snippets."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            func = node.func
            if func.attr in MUTATORS and not _is_rewriter(func.value):
                found.append(ast.unparse(func))
            elif func.attr in CONTAINER_EDITS and isinstance(func.value, ast.Attribute) and func.value.attr in FIELDS:
                found.append(ast.unparse(func.value))
        targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else []
        if isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        found += [ast.unparse(t) for t in targets if _field_target(t) is not None]
    return found


def test_graph_methods_are_classified() -> None:
    public = {name for name, _ in inspect.getmembers(Graph, inspect.isfunction) if not name.startswith("_")}
    assert public == MUTATORS | QUERIES, "classify every public Graph method as a mutator or a query"


def test_passes_edit_graphs_only_through_the_rewriter() -> None:
    found: Counter[tuple[str, str]] = Counter()
    for path in sorted(PASSES.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        found.update((rel, snippet) for snippet in direct_edits(ast.parse(path.read_text())))
    assert not found, f"edit these graphs through a Rewriter (tessera.ir.rewriter), not directly: {dict(found)}"


def test_the_checker_finds_direct_edits() -> None:
    source = """
def bad(graph, rw, node, v):
    graph.erase(node)
    graph.outputs = [v]
    graph.outputs.append(v)
    graph.constants["w"] = v
    rw.erase(node)
    Rewriter(graph).reorder([node])
    self.rw.set_input(node, 0, v)
"""
    found = sorted(direct_edits(ast.parse(source)))
    assert found == ["graph.constants['w']", "graph.erase", "graph.outputs", "graph.outputs"]
