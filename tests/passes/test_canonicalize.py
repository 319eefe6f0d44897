import numpy as np
import pytest
from _pass_helpers import f32, op, random_graph, run_checked

from tessera.ir import Graph, print_graph
from tessera.passes import get_pass

RTOL = 1e-4


def _classifier() -> Graph:
    """Identity -> Conv -> BN -> Relu -> Flatten -> Reshape -> Gemm -> BN -> Dropout, plus a constant
    subexpression and dead code."""
    rng = np.random.default_rng(0)
    g = Graph("classifier")

    def const(name: str, *shape: int) -> object:
        return g.add_constant(name, rng.standard_normal(shape).astype(np.float32))

    def bn(x: object, channels: int, name: str) -> object:
        var = g.add_constant(f"{name}_var", rng.uniform(0.5, 2.0, channels).astype(np.float32))
        params = [const(f"{name}_{p}", channels) for p in ("scale", "b", "mean")]
        return g.add_node(op("BatchNormalization"), [x, *params, var], name=name).output

    x = g.add_node(op("Identity"), [g.add_input("x", f32(1, 3, 4, 4))], name="in").output
    conv = g.add_node(op("Conv"), [x, const("w", 2, 3, 3, 3), const("wb", 2)], {"pads": (1, 1, 1, 1)}, name="conv")
    r = g.add_node(op("Relu"), [bn(conv.output, 2, "bn1")], name="relu").output
    flat = g.add_node(op("Flatten"), [r], name="flat").output
    row = g.add_node(op("Reshape"), [flat], {"shape": (1, -1)}, name="row").output
    bias = g.add_node(op("Mul"), [const("c", 5), const("c2", 5)], name="bias").output
    gemm = g.add_node(op("Gemm"), [row, const("fc", 5, 32), bias], {"transB": 1}, name="fc").output
    g.add_node(op("Relu"), [gemm], name="dead")
    g.outputs = [g.add_node(op("Dropout"), [bn(gemm, 5, "bn2")], name="logits").output]
    return g


def test_classifier_is_fully_canonicalized() -> None:
    result = run_checked("canonicalize", _classifier(), rtol=RTOL)
    assert result.graph.op_counts() == {"Conv": 1, "Gemm": 1, "Relu": 1, "Reshape": 1}
    assert result.graph.outputs[0].name == "logits"
    assert len(result.graph.constants) == 4
    report = result.report
    assert report.converged and report.rounds == 2
    assert report.steps["fold-batchnorm"].into_conv == 1 and report.steps["fold-batchnorm"].into_gemm == 1
    assert report.steps["fold-constants"].nodes_folded == 1
    assert report.steps["simplify-shapes"].noop_shape_ops_removed == 1  # Reshape(1, -1) of the Flatten
    assert report.steps["simplify-shapes"].normalized_to_reshape == 1
    assert report.steps["dce"].nodes_removed == 1
    text = report.render_text()
    assert text.splitlines()[0] == "rounds: 2" and "fold-batchnorm: into_conv=1, into_gemm=1" in text


def test_classifier_golden_text() -> None:
    graph = run_checked("canonicalize", _classifier(), rtol=RTOL).graph
    assert print_graph(graph) == (
        "graph classifier(%x: f32[1,3,4,4]) -> (%logits) {\n"
        "  const %w_bn: f32[2,3,3,3]\n"
        "  const %wb_bn: f32[2]\n"
        "  const %fc_bn: f32[5,32]\n"
        "  const %bias_bn: f32[5]\n"
        "  %conv: f32[1,2,4,4] = Conv(%x, %w_bn, %wb_bn) {auto_pad='NOTSET', group=1, pads=[1, 1, 1, 1]}  # conv\n"
        "  %relu: f32[1,2,4,4] = Relu(%conv)  # relu\n"
        "  %flat: f32[1,32] = Reshape(%relu) {allowzero=0, shape=[1, 32]}  # flat\n"
        "  %logits: f32[1,5] = Gemm(%flat, %fc_bn, %bias_bn) {alpha=1.0, beta=1.0, transA=0, transB=1}  # fc\n"
        "  return %logits\n"
        "}"
    )


def test_idempotent_and_bounded() -> None:
    once = run_checked("canonicalize", _classifier(), rtol=RTOL)
    again = run_checked("canonicalize", once.graph)
    assert not again.modified and again.report.rounds == 1
    short = run_checked("canonicalize", _classifier(), rtol=RTOL, max_rounds=1)
    assert short.report.rounds == 1 and not short.report.converged


def test_steps_option() -> None:
    result = run_checked("canonicalize", _classifier(), rtol=RTOL, steps=("dce",))
    assert list(result.report.steps) == ["dce"]
    assert result.graph.op_counts()["BatchNormalization"] == 2


@pytest.mark.parametrize("seed", range(16))
def test_random_graphs(seed: int) -> None:
    result = run_checked("canonicalize", random_graph(seed, size=18), seed=seed, rtol=RTOL)
    graph = result.graph
    assert result.report.converged
    assert "BatchNormalization" not in graph.op_counts()
    for node in graph.nodes:
        assert not all(v.is_constant for v in node.inputs)
        assert any(o.users or o in graph.outputs for o in node.outputs)
        if node.op.name in ("Identity", "Dropout"):
            assert node.output in graph.outputs
    assert not get_pass("canonicalize").run(graph).modified
