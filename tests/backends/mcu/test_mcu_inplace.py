"""In-place kernels on the MCU target: every kernel the planner may alias (tessera/backends/mcu/inplace.py)
runs with its output over its input, built with gcc -Werror under ASan + UBSan, and matches the
reference executor (float within 1e-4, int8 bit-exact) with the target option inplace on and off."""

import numpy as np
import pytest
from _mcu_helpers import HOST_TOOLS, assert_close, const, f32, node, random_inputs
from conftest import MCU_TOOLS, require_tools

import tessera
from tessera.backends.reference import execute
from tessera.ir import Graph

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
DW = {"kernel_shape": None, "group": 4}


def float_chain() -> Graph:
    """A chain in which every step but two may overwrite its input (batch 2, so the batched loop too)."""
    rng = np.random.default_rng(3)
    g = Graph("inplace_f32")
    x = g.add_input("x", f32((2, 4, 10, 12)))
    w = lambda *s: const(g, f"w{len(g.constants)}", rng.standard_normal(s) * 0.4)  # noqa: E731
    t = node(g, "Conv", [x, w(4, 1, 3, 3), w(4)], "dw_s1", strides=None, pads=(1, 1, 1, 1), dilations=None, **DW)
    t = node(g, "Relu", [t], "relu")
    t = node(g, "Conv", [t, w(4, 1, 3, 3)], "dw_s2", strides=(2, 2), pads=(1, 1, 1, 1), dilations=None, **DW)
    t = node(g, "Clip", [t], "clip", min=-0.5, max=1.5)
    t = node(g, "Conv", [t, w(4, 1, 3, 2), w(4)], "dw_dil", strides=(1, 2), pads=(2, 0, 1, 1), dilations=(2, 1), **DW)
    grow = node(g, "Conv", [t, w(4, 1, 1, 1)], "dw_grows", strides=None, pads=(1, 1, 1, 1), dilations=None, **DW)
    t = node(g, "Add", [grow, w(4, 1, 1)], "add_bcast")
    t = node(g, "Sub", [w(*t.shape), t], "sub_second")  # the constant comes first: input 1 is overwritten
    t = node(g, "Mul", [t, node(g, "Tanh", [w(4, 1, 1)], "tanh_const")], "mul")
    t = node(g, "Div", [t, const(g, "two", np.full((1, 1, 1), 2.0))], "div")
    for op in ("Sigmoid", "HardSwish", "Neg", "Tanh"):
        t = node(g, op, [t], op.lower())
    t = node(g, "LeakyRelu", [t], "leaky", alpha=0.1)
    t = node(g, "HardSigmoid", [t], "hsig", alpha=0.3, beta=0.4)
    t = node(g, "Gelu", [t], "gelu", approximate="none")
    t = node(g, "BatchNormalization", [t, w(4), w(4), w(4), const(g, "var", rng.random(4) + 0.5)], "bn",
             epsilon=1e-5, momentum=0.9, training_mode=0)  # fmt: skip
    t = node(g, "Softmax", [t], "softmax", axis=1)
    t = node(g, "LayerNormalization", [t, w(t.shape[-1]), w(t.shape[-1])], "ln", axis=-1, epsilon=1e-5,
             stash_type=1)  # fmt: skip
    t = node(g, "Flatten", [t], "flatten", axis=1)
    g.outputs.append(node(g, "Relu", [t], "out"))
    return g


def _compile(graph: Graph, inplace: bool):
    return tessera.compile(graph, target="mcu", passes=[], target_options={"inplace": inplace})


def _run(graph: Graph, inplace: bool, inputs: dict) -> tuple:
    result = _compile(graph, inplace)
    return result, result.run(inputs, sanitize=True), execute(result.graph, inputs)


@pytest.mark.parametrize("inplace", [True, False])
def test_float_kernels_in_place_under_sanitizers(inplace: bool) -> None:
    require_tools(HOST_TOOLS, MCU_TOOLS)
    g = float_chain()
    inputs = random_inputs(g, 5)
    result, got, want = _run(g, inplace, inputs)
    assert_close(got, want)
    plan = result.artifact.cmodel.plan
    aliased = {n.name for n in result.graph.nodes if n.output.name in plan.aliases}
    if not inplace:
        assert not plan.aliases and not plan.workspaces
        return
    expected = {n.name for n in result.graph.nodes} - {"dw_grows", "tanh_const"}  # larger planes; a constant
    assert aliased == expected
    assert set(plan.workspaces) == {"dw_s1", "dw_s2", "dw_dil"}
    assert plan.aliases["sub_second"] == "add_bcast" and plan.aliases["dw_s1"] == "x"
    code = result.artifact.cmodel.steps
    assert sum("tk_conv2d_depthwise_inplace_f32" in s.code for s in code) == 3
    assert "tk_copy" not in next(s.code for s in code if s.node == "flatten")


def int8_model() -> Graph:
    """Inverted-residual-like blocks: quantize, depthwise (stride 1 and 2), ReLU6, residual add."""
    rng = np.random.default_rng(4)
    g = Graph("inplace_int8")
    x = g.add_input("x", f32((1, 4, 12, 12)))
    w = lambda *s: const(g, f"w{len(g.constants)}", rng.standard_normal(s) * 0.4)  # noqa: E731
    t = node(g, "Conv", [x, w(4, 1, 3, 3), w(4)], "dw1", strides=None, pads=(1, 1, 1, 1), dilations=None, **DW)
    t = node(g, "Clip", [t], "relu6", min=0.0, max=6.0)
    t = node(g, "Add", [t, node(g, "Conv", [t, w(4, 4, 1, 1)], "pw", strides=None, pads=None, dilations=None,
                                      kernel_shape=None, group=1)], "residual")  # fmt: skip
    t = node(g, "Conv", [t, w(4, 1, 3, 3), w(4)], "dw2", strides=(2, 2), pads=(0, 1, 1, 0), dilations=None, **DW)
    t = node(g, "Mul", [t, t], "square")
    g.outputs.append(node(g, "Flatten", [t], "flatten", axis=1))
    return g


@pytest.mark.parametrize("inplace", [True, False])
def test_int8_kernels_in_place_bit_exact_under_sanitizers(inplace: bool) -> None:
    require_tools(HOST_TOOLS, MCU_TOOLS)
    g = int8_model()
    q = tessera.quantize(g, [random_inputs(g, s) for s in range(8)]).graph
    inputs = random_inputs(q, 9)
    result, got, want = _run(q, inplace, inputs)
    for name, ref in want.items():
        assert got[name].dtype == ref.dtype and np.array_equal(got[name], ref), name
    plan = result.artifact.cmodel.plan
    ops = {n.op.name for n in result.graph.nodes if n.output.name in plan.aliases}
    if inplace:
        assert {"QuantizeLinear", "QConv", "QAdd", "QMul"} <= ops, ops
        assert any(n.op.name == "QuantizeLinear" and plan.aliases[n.output.name] == "x" for n in result.graph.nodes)
        assert sum("tk_qconv2d_depthwise_inplace_i8" in s.code for s in result.artifact.cmodel.steps) == 2
    else:
        assert not ops


def test_inplace_option_values_and_model_c_comments(tmp_path) -> None:
    from tessera.backends.mcu.codegen import model_c
    from tessera.cli import main as cli_main
    from tessera.errors import TargetError
    from tessera.frontends.onnx_export import export_onnx

    g = float_chain()
    source = model_c(_compile(g, True).artifact.cmodel)
    assert "(in place over x)" in source and "outputs share the slot of the input they overwrite" in source
    assert not _compile(g, "false").artifact.cmodel.plan.aliases  # the CLI passes strings
    with pytest.raises(TargetError, match="inplace must be true or false"):
        _compile(g, "maybe")
    model = tmp_path / "chain.onnx"
    model.write_bytes(export_onnx(g).SerializeToString())
    out = tmp_path / "o"
    assert cli_main(["compile", str(model), "--target", "mcu", "--target-option", "inplace=false", "-o", str(out)]) == 0
    assert "In place: none" in (out / "README.md").read_text()
