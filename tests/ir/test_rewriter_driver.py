import pytest
from conftest import chain_graph

from tessera.errors import PassError
from tessera.ir import DType, Graph, TensorType, verify
from tessera.ir.driver import apply_patterns, drive
from tessera.ir.graph import Node
from tessera.ir.ops.activation import Relu
from tessera.ir.ops.elementwise import Add, Mul
from tessera.ir.rewriter import RewritePattern, Rewriter

T = TensorType(DType.FLOAT32, (3,))


class Record(RewritePattern):
    """Rewrites nothing; remembers the nodes it was handed."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def match_and_rewrite(self, node: Node, rw: Rewriter) -> None:
        self.seen.append(node.name)


class RecordRelu(Record):
    root = Relu


class RecordAddMul(Record):
    root = (Add, Mul)


class DropDoubleRelu(RewritePattern):
    # relu(relu(x)) -> relu(x)
    root = Relu

    def match_and_rewrite(self, node: Node, rw: Rewriter) -> None:
        inner = node.inputs[0].producer
        if inner is None or inner.op is not Relu:
            return
        rw.replace(node, [inner.output])


class RebuildRelu(RewritePattern):
    # relu(x) -> relu(x): never settles
    root = Relu

    def match_and_rewrite(self, node: Node, rw: Rewriter) -> None:
        rw.replace_op(node, Relu, node.inputs)


def relu_chain(n: int) -> Graph:
    g = Graph("chain")
    v = g.add_input("x", T)
    for _ in range(n):
        v = g.add_node(Relu, [v]).output
    g.outputs.append(v)
    return g


def test_nodes_go_only_to_the_patterns_of_their_op() -> None:
    g = chain_graph()  # add, relu, mul
    anything, relu, add_mul = Record(), RecordRelu(), RecordAddMul()
    result = drive(Rewriter(g), [anything, relu, add_mul])
    assert anything.seen == ["add", "relu", "mul"]
    assert relu.seen == ["relu"] and add_mul.seen == ["add", "mul"]
    assert result.rounds == 1 and result.converged and result.rewrites == 0


def test_a_changing_graph_takes_one_round_and_a_confirming_one() -> None:
    g = relu_chain(5)
    result = drive(Rewriter(g), [DropDoubleRelu()])
    verify(g)
    assert len(g.nodes) == 1 and g.outputs[0].name == "relu_3"
    assert (result.rewrites, result.rounds, result.converged) == (4, 2, True)
    assert result.fired == {"DropDoubleRelu": 4}


def test_erasing_a_node_revisits_its_producers() -> None:
    g = chain_graph()
    x = g.inputs[0]
    dead = g.add_node(Relu, [x], name="dead1", before=g.nodes[0])
    g.add_node(Relu, [dead.output], name="dead2")
    result = drive(Rewriter(g), [], erase_dead=True, max_rounds=1)
    assert result.dead_erased == 2  # dead2 first, then dead1 in the same round: it came back on the worklist
    assert [n.name for n in g.nodes] == ["add", "relu", "mul"]


def test_a_pattern_that_keeps_firing_is_named() -> None:
    g = relu_chain(2)
    with pytest.raises(PassError, match=r"graph 'chain'.*RebuildRelu fired 105 times"):
        drive(Rewriter(g), [RebuildRelu()], max_rewrites=104)


def test_apply_patterns_refuses_to_stop_before_a_fixpoint() -> None:
    rw = Rewriter(relu_chain(3))
    result = drive(rw, [DropDoubleRelu()], max_rounds=1)
    assert result.rewrites == 2 and not result.converged
    with pytest.raises(PassError, match=r"fixpoint in 1 rounds on graph 'chain'"):
        apply_patterns(relu_chain(3), [DropDoubleRelu()], max_rounds=1)
