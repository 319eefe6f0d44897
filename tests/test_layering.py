"""The layers of tessera/ import only downwards, and no two modules import each other.

Every module is parsed with `ast`. Imports inside functions count (they run sooner or later, and
an import moved into a function to dodge a cycle still leaves the two modules depending on each
other); imports under `if TYPE_CHECKING:` do not (they never run). An edge goes to the module an
import names (`from tessera.ir.graph import Graph` -> tessera.ir.graph, `from tessera.ir import
graph` -> tessera.ir.graph when that is a module); the implicit import of parent packages is not an
edge, or every package would be a cycle with its own modules. Cycles are found with networkx.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).parents[1] / "tessera"

# layer -> the layers it must not import
FORBIDDEN = {
    "tessera.ir": ("frontends", "passes", "backends", "reports", "models_zoo", "api", "cli"),
    "tessera.passes": ("backends", "frontends", "reports", "api", "cli", "models_zoo"),
    "tessera.frontends": ("passes", "backends", "reports", "api", "cli"),
    "tessera.backends": ("api", "cli", "reports"),
    "tessera.reports": ("api", "cli"),
    "tessera.train": ("api", "cli", "frontends"),
}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported tessera module
    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.path.relative_to(ROOT.parent)}:{self.line}: {self.source} imports {self.target}"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def resolve(name: str, member: str | None) -> str | None:
    """The tessera module an import names, or None for anything outside tessera."""
    if member is not None and f"{name}.{member}" in MODULES:
        return f"{name}.{member}"
    while name and name not in MODULES:
        name = name.rpartition(".")[0]  # `import tessera.ir.graph.Graph`-like spellings
    return name or None


def absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def targets_of(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        targets = [resolve(alias.name, None) for alias in node.names]
    else:
        base = absolute(node, module, is_package)
        targets = [resolve(base, alias.name) for alias in node.names]
    return list(dict.fromkeys(t for t in targets if t is not None and t != module))


def imports_of(module: str, path: Path) -> list[Import]:
    found: list[Import] = []
    is_package = path.name == "__init__.py"

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and is_type_checking(node):
            for statement in node.orelse:
                visit(statement)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for target in targets_of(node, module, is_package):
                found.append(Import(module, target, path, node.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(), str(path)))
    return found


IMPORTS = [imp for module, path in MODULES.items() for imp in imports_of(module, path)]


def in_layer(module: str, layer: str) -> bool:
    return module == layer or module.startswith(layer + ".")


def test_the_scan_sees_the_package() -> None:
    """Guards the test itself: the walk finds modules and function-level imports, resolves members
    and relative imports, and skips TYPE_CHECKING imports."""
    assert {"tessera.ir.graph", "tessera.api", "tessera.cli", "tessera.passes"} <= set(MODULES)
    graph_imports = {i.target for i in IMPORTS if i.source == "tessera.ir.graph"}
    # tessera.ir.printer: inside Graph.__str__; tessera.ir.ops.base: under TYPE_CHECKING
    assert {"tessera.errors", "tessera.ir.dtypes", "tessera.ir.types", "tessera.ir.printer"} == graph_imports
    assert "tessera.backends.mcu.table" in {i.target for i in IMPORTS if i.source == "tessera.backends.mcu.codegen"}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layers_import_only_downwards(layer: str) -> None:
    banned = [f"tessera.{name}" for name in FORBIDDEN[layer]]
    bad = [i for i in IMPORTS if in_layer(i.source, layer) and any(in_layer(i.target, b) for b in banned)]
    assert not bad, f"{layer} must not import {', '.join(banned)}:\n" + "\n".join(map(str, bad))


def test_no_import_cycles() -> None:
    graph = nx.DiGraph()
    graph.add_nodes_from(MODULES)
    edges: dict[tuple[str, str], Import] = {}
    for imp in IMPORTS:
        edges.setdefault((imp.source, imp.target), imp)
        graph.add_edge(imp.source, imp.target)
    cycles = []
    for component in nx.strongly_connected_components(graph):
        if len(component) > 1:
            cycle = nx.find_cycle(graph.subgraph(component))
            cycles.append(" -> ".join(a for a, _ in cycle) + f" -> {cycle[0][0]}")
            cycles += [f"    {edges[edge]}" for edge in cycle]
    assert not cycles, "import cycles:\n" + "\n".join(cycles)
