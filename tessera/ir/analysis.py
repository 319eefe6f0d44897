"""Graph analyses: deterministic topological order, networkx view, liveness-based memory."""

from __future__ import annotations

import heapq

import networkx as nx

from tessera.errors import VerificationError
from tessera.ir.graph import Graph, Node


def topological_order(graph: Graph) -> list[Node]:
    """A topological order of the nodes, stable: among ready nodes, the one earliest in the current
    order goes first, so an already valid order is returned unchanged. Raises on a cycle."""
    position = {id(n): i for i, n in enumerate(graph.nodes)}
    pending = {id(n): 0 for n in graph.nodes}
    for n in graph.nodes:
        pending[id(n)] = len({id(v.producer) for v in n.inputs if v.producer is not None})
    ready = [(position[id(n)], n.name, n) for n in graph.nodes if pending[id(n)] == 0]
    heapq.heapify(ready)
    order: list[Node] = []
    while ready:
        _, _, node = heapq.heappop(ready)
        order.append(node)
        consumers = {id(u): u for o in node.outputs for u in o.users}
        for user in consumers.values():
            pending[id(user)] -= 1
            if pending[id(user)] == 0:
                heapq.heappush(ready, (position[id(user)], user.name, user))
    if len(order) != len(graph.nodes):
        stuck = sorted(n.name for n in graph.nodes if pending[id(n)] > 0)
        raise VerificationError(f"graph {graph.name!r} has a cycle through node(s): {', '.join(stuck[:10])}")
    return order


def toposort(graph: Graph) -> Graph:
    """Reorder `graph.nodes` into a deterministic topological order, in place; returns the graph."""
    graph.reorder(topological_order(graph))
    return graph


def to_networkx(graph: Graph) -> nx.DiGraph:
    """A DiGraph over node names; each edge carries the tensor (`value`) and its size (`bytes`)."""
    g = nx.DiGraph()
    for n in graph.nodes:
        g.add_node(n.name, op=n.op.name)
    for n in graph.nodes:
        for v in n.inputs:
            if v.producer is not None:
                g.add_edge(v.producer.name, n.name, value=v.name, bytes=v.type.nbytes)
    return g


def activation_peak_bytes(graph: Graph) -> int:
    """Peak of live activation bytes in the current node order (inputs and outputs included,
    constants excluded); see tessera.ir.liveness for the model."""
    from tessera.ir.liveness import memory_profile

    return memory_profile(graph).peak_bytes
