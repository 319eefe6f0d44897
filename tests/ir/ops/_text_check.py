"""The IR text of every graph the op tests import must read back (a helper module, not a test file)."""

from __future__ import annotations

from tessera.ir import Graph, parse, print_graph


def assert_text_reads_back(graph: Graph) -> None:
    """parse(print(graph)) prints the same text, with inline data and with the weights passed."""
    text = str(graph)
    weights = {name: v.data for name, v in graph.constants.items() if v.data is not None}
    assert str(parse(text, constants=weights)) == text
    inline = print_graph(graph, inline=1 << 30)
    assert print_graph(parse(inline), inline=1 << 30) == inline
