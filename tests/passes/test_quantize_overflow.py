"""quantize-int8 keeps a layer in float when its int32 accumulator could overflow (a tiny input scale
makes bias / (x_scale * w_scale) too large for int32), with the reason in the report, rather than
saturating the bias or crashing."""

import numpy as np

import tessera
from tessera.backends.reference import execute
from tessera.ir import DType, Graph, TensorType
from tessera.ir.ops import lookup


def _conv_graph(bias: float) -> Graph:
    rng = np.random.default_rng(0)
    g = Graph("tiny_input")
    x = g.add_input("x", TensorType(DType.FLOAT32, (1, 2, 4, 4)))
    w = g.add_constant("w", rng.standard_normal((3, 2, 3, 3)).astype(np.float32))
    b = g.add_constant("b", np.array([bias, -bias, 0.5], np.float32))
    y = g.add_node(lookup("Conv"), [x, w, b], {"pads": (1, 1, 1, 1)}, name="conv").output
    g.add_node(lookup("Relu"), [y], {}, name="relu")
    g.outputs = [g.nodes[-1].output]
    return g


def _calibration(amplitude: float) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(1)
    return [{"x": (rng.standard_normal((1, 2, 4, 4)) * amplitude).astype(np.float32)} for _ in range(3)]


def test_tiny_input_scale_keeps_the_layer_float_with_a_reason() -> None:
    graph = _conv_graph(5.0)
    cal = _calibration(1e-6)  # x_scale ~ 1e-8: bias 5 is ~3e10 in int32 units
    result = tessera.quantize(graph, cal)
    reasons = {f.name: f.reason for f in result.report.float_layers}
    assert "int32 accumulator could overflow" in reasons["conv"]
    assert "QConv" not in result.graph.op_counts()
    for sample in cal:  # the float layer computes exactly what the float graph does
        want, got = execute(graph, sample), execute(result.graph, sample)
        assert set(got) == set(want)
        for name, ref in want.items():
            np.testing.assert_array_equal(got[name], ref)


def test_ordinary_scales_still_quantize() -> None:
    result = tessera.quantize(_conv_graph(5.0), _calibration(1.0))
    assert result.graph.op_counts()["QConv"] == 1
    assert not any(f.name == "conv" for f in result.report.float_layers)
    assert result.report.outputs[0].sqnr_db > 25


def test_int8_io_inputs_and_outputs_are_int8_and_equivalent() -> None:
    from tessera.passes.quantize.report import dequantize, quantize_inputs

    graph, cal = _conv_graph(0.5), _calibration(1.0)
    plain = tessera.quantize(graph, cal).graph
    for option, want in ((True, {"x", "relu_out"}), ("inputs", {"x"}), ("outputs", {"relu_out"})):
        q = tessera.quantize(graph, cal, int8_io=option).graph
        out = q.outputs[0].name
        assert set(q.io_qparams) == {n.replace("relu_out", out) for n in want}
        for sample in cal:
            got = execute(q, quantize_inputs(q, sample))[out]
            got = dequantize(got, *q.io_qparams[out]) if out in q.io_qparams else got
            np.testing.assert_array_equal(got, execute(plain, sample)[plain.outputs[0].name])


def test_int8_io_rejects_unknown_values() -> None:
    import pytest

    from tessera.errors import PassError

    with pytest.raises(PassError, match="int8_io"):
        tessera.quantize(_conv_graph(0.5), _calibration(1.0), int8_io="both-ways")
