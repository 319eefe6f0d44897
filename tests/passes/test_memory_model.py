"""The memory model builds on tessera.ir.liveness: under the plain model its spans are exactly the
liveness lifetimes, and under the HMCOS and kernel in-place models they are those lifetimes with each
overwritten input ending one step early (written here apart from model.py, as the spans were derived
before the model reused ir.liveness)."""

from hypothesis import given, settings
from hypothesis import strategies as st
from sched_dags import random_dag

from tessera.backends.mcu import inplace_rules
from tessera.ir import Graph
from tessera.ir.liveness import Lifetime, lifetimes
from tessera.passes.memory.model import HMCOS, PLAIN, MemoryModel, inplace_aliases, model_lifetimes

RULES = inplace_rules()
MODELS = [PLAIN, HMCOS, MemoryModel(kernel_inplace=RULES), MemoryModel(inplace=True, kernel_inplace=RULES)]


def derived(graph: Graph, model: MemoryModel) -> list[Lifetime]:
    """Every activation span from first principles: producer step to last reader (graph outputs to
    the end), one step shorter where its last reader overwrites it; plus the kernels' extra spans."""
    step = {id(n): i for i, n in enumerate(graph.nodes)}
    end = max(len(graph.nodes) - 1, 0)
    outputs = {id(v) for v in graph.outputs}
    owner = {id(v): step[id(n)] for n in graph.nodes if (v := model.alias_input(n)) is not None}
    aliases = inplace_aliases(graph, None, RULES) if model.kernel_inplace is not None else []
    owner.update({id(a.input): step[id(a.node)] for a in aliases})
    produced = [(v, 0) for v in graph.inputs] + [(o, step[id(n)]) for n in graph.nodes for o in n.outputs]
    spans = []
    for v, first in produced:
        last = end if id(v) in outputs else max([first, *(step[id(u)] for u in v.users)])
        if id(v) not in outputs and owner.get(id(v)) == last and v.users:
            last -= 1
        spans.append(Lifetime(v.name, v.type.nbytes, first, last))
    for a in aliases:
        grow = a.input.type.nbytes - a.output.type.nbytes
        if grow > 0:
            spans.append(Lifetime(f"<inplace:{a.node.name}>", grow, step[id(a.node)], step[id(a.node)]))
    return sorted(spans, key=lambda t: (t.first, t.value))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(random_dag(max_nodes=12), st.sampled_from(range(len(MODELS))))
def test_model_spans_are_the_liveness_lifetimes_adjusted_for_in_place(g: Graph, which: int) -> None:
    model = MODELS[which]
    assert model_lifetimes(g, model=model) == derived(g, model)
    if model == PLAIN:
        assert model_lifetimes(g) == lifetimes(g)
