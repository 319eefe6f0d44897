import numpy as np
import pytest
from _pass_helpers import f32, op, random_graph, run_checked

from tessera.ir import Graph, Value, print_graph

RTOL = 1e-4


def _bn(g: Graph, x: Value, channels: int, name: str = "bn", seed: int = 0) -> Value:
    rng = np.random.default_rng(seed)
    params = [
        g.add_constant(f"{name}_scale", rng.standard_normal(channels).astype(np.float32)),
        g.add_constant(f"{name}_b", rng.standard_normal(channels).astype(np.float32)),
        g.add_constant(f"{name}_mean", rng.standard_normal(channels).astype(np.float32)),
        g.add_constant(f"{name}_var", rng.uniform(0.5, 2.0, channels).astype(np.float32)),
    ]
    return g.add_node(op("BatchNormalization"), [x, *params], {"epsilon": 1e-3}, name=name).output


def _conv_bn(bias: bool, group: int = 1) -> Graph:
    rng = np.random.default_rng(1)
    g = Graph()
    x = g.add_input("x", f32(1, 4, 6, 6))
    w = g.add_constant("w", rng.standard_normal((6, 4 // group, 3, 3)).astype(np.float32))
    inputs = [x, w]
    if bias:
        inputs.append(g.add_constant("b", rng.standard_normal(6).astype(np.float32)))
    conv = g.add_node(op("Conv"), inputs, {"group": group, "strides": (2, 2)}, name="conv").output
    g.outputs = [g.add_node(op("Relu"), [_bn(g, conv, 6)], name="y").output]
    return g


@pytest.mark.parametrize(("bias", "group"), [(True, 1), (False, 1), (True, 2)])
def test_conv_bn_folds_into_conv(bias: bool, group: int) -> None:
    result = run_checked("fold-batchnorm", _conv_bn(bias, group), rtol=RTOL)
    assert result.report.into_conv == 1
    assert result.graph.op_counts() == {"Conv": 1, "Relu": 1}


def test_conv_bn_golden_text() -> None:
    graph = run_checked("dce", run_checked("fold-batchnorm", _conv_bn(bias=False), rtol=RTOL).graph).graph
    assert print_graph(graph) == (
        "graph main(%x: f32[1,4,6,6]) -> (%y) {\n"
        "  const %w_bn: f32[6,4,3,3]\n"
        "  const %conv_bias_bn: f32[6]\n"
        "  %conv: f32[1,6,2,2] = Conv(%x, %w_bn, %conv_bias_bn) {auto_pad='NOTSET', group=1, strides=[2, 2]}  # conv\n"
        "  %y: f32[1,6,2,2] = Relu(%conv)  # y\n"
        "  return %y\n"
        "}"
    )


def _gemm_bn(trans_b: int, with_c: bool, alpha: float = 1.0, beta: float = 1.0, c_shape: tuple = (5,)) -> Graph:
    rng = np.random.default_rng(2)
    g = Graph()
    a = g.add_input("a", f32(3, 4))
    b = g.add_constant("B", rng.standard_normal((5, 4) if trans_b else (4, 5)).astype(np.float32))
    inputs = [a, b]
    if with_c:
        inputs.append(g.add_constant("C", rng.standard_normal(c_shape).astype(np.float32)))
    attrs = {"transB": trans_b, "alpha": alpha, "beta": beta}
    gemm = g.add_node(op("Gemm"), inputs, attrs, name="gemm").output
    g.outputs = [_bn(g, gemm, 5)]
    return g


@pytest.mark.parametrize(
    ("trans_b", "with_c", "alpha", "beta", "c_shape"),
    [(0, True, 1.0, 1.0, (5,)), (1, True, 0.5, 2.0, (3, 1)), (1, False, 1.0, 1.0, ()), (0, False, 2.0, -0.5, ())],
)
def test_gemm_bn_folds_into_gemm(trans_b: int, with_c: bool, alpha: float, beta: float, c_shape: tuple) -> None:
    result = run_checked("fold-batchnorm", _gemm_bn(trans_b, with_c, alpha, beta, c_shape), rtol=RTOL)
    assert result.report.into_gemm == 1
    assert result.graph.op_counts() == {"Gemm": 1}
    assert result.graph.outputs[0].name == "bn"  # the graph output keeps its name


def test_gemm_with_beta_zero_becomes_mul_add() -> None:
    result = run_checked("fold-batchnorm", _gemm_bn(0, True, beta=0.0), rtol=RTOL)
    assert result.report.to_mul_add == 1
    assert result.graph.op_counts() == {"Add": 1, "Gemm": 1, "Mul": 1}


def test_standalone_bn_becomes_mul_add_golden_text() -> None:
    g = Graph()
    x = g.add_input("x", f32(2, 3, 4))
    r = g.add_node(op("Relu"), [x], name="r").output
    g.outputs = [g.add_node(op("Relu"), [_bn(g, r, 3)], name="y").output]
    graph = run_checked("dce", run_checked("fold-batchnorm", g, rtol=RTOL).graph).graph
    assert print_graph(graph) == (
        "graph main(%x: f32[2,3,4]) -> (%y) {\n"
        "  const %bn_scale_0: f32[3,1]\n"
        "  const %bn_shift: f32[3,1]\n"
        "  %r: f32[2,3,4] = Relu(%x)  # r\n"
        "  %bn_mul: f32[2,3,4] = Mul(%r, %bn_scale_0)  # bn_mul\n"
        "  %bn: f32[2,3,4] = Add(%bn_mul, %bn_shift)  # bn_add\n"
        "  %y: f32[2,3,4] = Relu(%bn)  # y\n"
        "  return %y\n"
        "}"
    )


def test_conv_read_twice_is_not_folded() -> None:
    g = _conv_bn(bias=True)
    conv = g.value("conv")
    g.outputs.append(g.add_node(op("Relu"), [conv], name="other").output)
    result = run_checked("fold-batchnorm", g, rtol=RTOL)
    assert result.report.to_mul_add == 1 and result.report.into_conv == 0
    assert "BatchNormalization" not in result.graph.op_counts()


def test_conv_output_that_is_a_graph_output_is_not_folded() -> None:
    g = _conv_bn(bias=True)
    g.outputs.append(g.value("conv"))
    result = run_checked("fold-batchnorm", g, rtol=RTOL)
    assert result.report.to_mul_add == 1


def test_non_constant_parameters_are_kept() -> None:
    g = Graph()
    x = g.add_input("x", f32(1, 3, 2, 2))
    scale = g.add_input("scale", f32(3))
    rest = [g.add_constant(n, np.ones(3, np.float32)) for n in ("b", "mean", "var")]
    g.outputs = [g.add_node(op("BatchNormalization"), [x, scale, *rest], name="bn").output]
    result = run_checked("fold-batchnorm", g)
    assert not result.modified and result.report.not_foldable == 1


@pytest.mark.parametrize("seed", range(8))
def test_random_graphs(seed: int) -> None:
    g = random_graph(seed)
    bns = g.op_counts().get("BatchNormalization", 0)
    result = run_checked("fold-batchnorm", g, seed=seed, rtol=RTOL)
    assert "BatchNormalization" not in result.graph.op_counts()
    assert result.report.into_conv + result.report.to_mul_add == bns
