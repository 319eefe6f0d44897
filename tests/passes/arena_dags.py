"""Random DAGs and an independent liveness simulation, shared by the arena tests."""

from hypothesis import strategies as st

from tessera.ir import DType, Graph, TensorType
from tessera.ir.ops import lookup


@st.composite
def random_dag(draw: st.DrawFn) -> Graph:
    """Up to 12 nodes; each node is Relu of one earlier tensor or Concat of two, random widths."""
    g = Graph("dag")
    values = [g.add_input("x", TensorType(DType.FLOAT32, (1, draw(st.integers(1, 64)))))]
    for i in range(draw(st.integers(1, 12))):
        a = values[draw(st.integers(0, len(values) - 1))]
        if draw(st.booleans()) and len(values) > 1:
            b = values[draw(st.integers(0, len(values) - 1))]
            values.append(g.add_node(lookup("Concat"), [a, b], {"axis": 1}, name=f"n{i}").output)
        else:
            values.append(g.add_node(lookup("Relu"), [a], name=f"n{i}").output)
    g.outputs.extend(v for v in values[1:] if not v.users)
    return g


def simulated_peak(graph: Graph) -> int:
    """Step-by-step: allocate each output when its node runs, free a tensor after its last reader."""
    remaining = {
        id(v): len({id(u) for u in v.users}) for v in [*graph.inputs, *(o for n in graph.nodes for o in n.outputs)]
    }
    keep = {id(v) for v in graph.outputs}
    live = {id(v): v.type.nbytes for v in graph.inputs}
    peak = 0
    for n in graph.nodes:
        for o in n.outputs:
            live[id(o)] = o.type.nbytes
        peak = max(peak, sum(live.values()))
        for v in {id(v): v for v in n.inputs if v.producer is not None or v in graph.inputs}.values():
            remaining[id(v)] -= 1
            if remaining[id(v)] == 0 and id(v) not in keep:
                live.pop(id(v), None)
        for o in n.outputs:
            if not o.users and id(o) not in keep:
                live.pop(id(o), None)
    return peak
