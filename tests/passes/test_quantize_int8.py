"""The quantize-int8 pass on small CNNs and a BERT-like encoder block exported from torch, and on a
randomized light model: structure, report, error against float, QDQ export in onnxruntime, API/CLI."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from conftest import TORCH, require

import tessera
import tessera.backends.reference
from tessera.cli import main
from tessera.errors import PassError
from tessera.models_zoo.light import randomized_light_model

torch = require("torch", TORCH)
from _quantize_helpers import assert_quantizes, one_node_graph, torch_onnx  # noqa: E402


class SmallCNN(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.c1 = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.c2 = torch.nn.Conv2d(8, 8, 3, padding=1, groups=8)  # depthwise
        self.c3 = torch.nn.Conv2d(8, 4, 1)
        self.fc = torch.nn.Linear(12 * 4 * 4, 10)

    def forward(self, x):
        a = torch.relu(self.c1(x))
        b = torch.clamp(self.c2(a), 0, 6)
        c = torch.nn.functional.max_pool2d(a + b, 2)
        d = torch.cat([torch.nn.functional.avg_pool2d(c, 2), torch.nn.functional.avg_pool2d(self.c3(c), 2)], 1)
        return self.fc(torch.flatten(d, 1) * 0.5)


class EncoderBlock(torch.nn.Module):
    """BERT-style: multi-head self-attention, residual + LayerNorm, GELU MLP, residual + LayerNorm."""

    def __init__(self, d: int = 32, heads: int = 2) -> None:
        super().__init__()
        self.heads, self.d = heads, d
        self.qkv = torch.nn.Linear(d, 3 * d)
        self.proj = torch.nn.Linear(d, d)
        self.ln1, self.ln2 = torch.nn.LayerNorm(d), torch.nn.LayerNorm(d)
        self.mlp = torch.nn.Sequential(torch.nn.Linear(d, 4 * d), torch.nn.GELU(), torch.nn.Linear(4 * d, d))

    def forward(self, x):
        b, s, d = x.shape
        q, k, v = self.qkv(x).reshape(b, s, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        att = torch.softmax(q @ k.transpose(-1, -2) / (d // self.heads) ** 0.5, -1)
        x = self.ln1(x + self.proj((att @ v).transpose(1, 2).reshape(b, s, d)))
        return self.ln2(x + self.mlp(x))


def _samples(shape, count, seed):
    rng = np.random.default_rng(seed)
    return [{"x": rng.standard_normal(shape).astype(np.float32)} for _ in range(count)]


@pytest.fixture(scope="module")
def cnn() -> tessera.Graph:
    torch.manual_seed(0)
    return tessera.load(torch_onnx(SmallCNN(), [torch.zeros(1, 3, 16, 16)], ["x"]))


def test_small_cnn_becomes_int8_between_one_quantize_and_one_dequantize(cnn):
    result = assert_quantizes(cnn, _samples((1, 3, 16, 16), 8, 0), _samples((1, 3, 16, 16), 4, 1), 25.0)
    ops = result.graph.op_counts()
    assert ops["QuantizeLinear"] == 1 and ops["DequantizeLinear"] == 1
    assert ops["QConv"] == 3 and ops["QAdd"] == 1 and ops["QMul"] == 1 and ops["QAveragePool"] == 2
    assert ops["QFullyConnected"] == 1 and ops["Concat"] == 1 and ops["MaxPool"] == 1
    assert "Relu" not in ops and "Clip" not in ops  # folded into the convolutions' output ranges
    fused = {x.op: x.fused for x in result.report.layers if x.fused}
    assert fused["Conv"] is not None
    assert not result.report.float_layers
    conv = next(n for n in result.graph.nodes if n.op.name == "QConv" and n.attrs["group"] == 8)
    assert len(conv.attrs["multiplier"]) == 8  # per-channel depthwise
    text = result.report.render_text()
    assert "SQNR" in text and "smaller" in text
    assert result.report.to_dict()["layers"][0]["sqnr_db"] > 20


def _ort_run(graph: tessera.Graph, feeds: dict, fuse: bool = True) -> np.ndarray:
    model = tessera.export_onnx(graph)
    options = ort.SessionOptions()
    if not fuse:  # no QDQ -> QLinear fusion: the float ops run as exported
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return session.run(None, feeds)[0]


def assert_each_int8_op_within_one_lsb_of_ort(result: tessera.QuantizeResult, sample: dict) -> set[str]:
    """Export every int8 node alone (QDQ form) and run it in onnxruntime on the int8 inputs our
    executor produced: ORT requantizes in float with round-half-even, so they agree within 1 LSB."""
    env = tessera.backends.reference.execute(result.graph, sample, capture=True)
    checked = set()
    for node in result.graph.nodes:
        if node.op.domain != "ai.tessera":
            continue
        single = one_node_graph(result.graph, node)
        feeds = {v.name: env[v.name] for v in single.inputs}
        theirs = _ort_run(single, feeds)
        diff = np.abs(theirs.astype(np.int32) - env[node.output.name].astype(np.int32))
        assert diff.max() <= 1, (node.name, node.op.name, int(diff.max()))
        checked.add(node.op.name)
    return checked


def test_qdq_export_runs_in_onnxruntime_within_one_lsb_per_op(cnn):
    result = tessera.quantize(cnn, _samples((1, 3, 16, 16), 4, 0))
    model = tessera.export_onnx(result.graph)
    assert {"QConv", "QAdd"}.isdisjoint(n.op_type for n in model.graph.node)
    sample = _samples((1, 3, 16, 16), 1, 5)[0]
    checked = assert_each_int8_op_within_one_lsb_of_ort(result, sample)
    assert checked >= {"QConv", "QAdd", "QMul", "QAveragePool", "QFullyConnected"}
    # The whole exported model: as exported (float ops between Q/DQ) it ends within 2 LSB of ours;
    # with ORT's QLinear fusions (its own int8 kernels) the mismatch compounds (docs/quantization.md).
    out = result.graph.outputs[0]
    scale = float(result.graph.constants[out.producer.inputs[1].name].data)
    ours = tessera.run(result.graph, sample)[out.name]
    assert np.abs(ours - _ort_run(result.graph, sample, fuse=False)).max() <= 2.001 * scale
    assert np.abs(ours - _ort_run(result.graph, sample)).max() <= 16 * scale


def test_bert_block_quantizes_linears_and_attention_matmuls():
    torch.manual_seed(0)
    graph = tessera.load(torch_onnx(EncoderBlock(), [torch.zeros(1, 8, 32)], ["x"]))
    result = assert_quantizes(graph, _samples((1, 8, 32), 8, 0), _samples((1, 8, 32), 3, 1), 15.0)
    ops = result.graph.op_counts()
    assert ops["QFullyConnected"] == 4  # qkv, proj, two MLP layers (bias Adds fused)
    assert ops["QMatMul"] == 2  # q @ k^T and att @ v
    assert "QMatMul" in assert_each_int8_op_within_one_lsb_of_ort(result, _samples((1, 8, 32), 1, 2)[0])
    reasons = {f.op: f.reason for f in result.report.float_layers}
    assert "Softmax" in reasons and "LayerNormalization" in reasons


def test_randomized_squeezenet_quantizes():
    graph = tessera.load(randomized_light_model("squeezenet", 0))
    rng = np.random.default_rng(0)
    samples = [{"data_0": rng.standard_normal((1, 3, 224, 224)).astype(np.float32)} for _ in range(3)]
    result = assert_quantizes(graph, samples[:2], samples[2:], 10.0, eval_samples=1)
    assert result.report.size_ratio > 3.9
    assert sum(x.int8_op == "QConv" for x in result.report.layers) == 26


@pytest.mark.parametrize("method", ["percentile", "mse"])
def test_range_methods(cnn, method):
    result = tessera.quantize(cnn, _samples((1, 3, 16, 16), 4, 0), method=method)
    assert result.report.method == method
    assert result.report.outputs[0].sqnr_db > 20


def test_calibration_is_required_and_random_is_flagged(cnn):
    with pytest.raises(PassError, match="needs calibration data"):
        tessera.quantize(cnn)
    result = tessera.quantize(cnn, random_calibration=2)
    assert "RANDOM" in result.report.calibration
    with pytest.raises(PassError, match="lacks input 'x'"):
        tessera.quantize(cnn, [{"y": np.zeros((1, 3, 16, 16), np.float32)}])
    with pytest.raises(PassError, match="has shape"):
        tessera.quantize(cnn, [{"x": np.zeros((2, 3, 16, 16), np.float32)}])
    with pytest.raises(PassError, match="unknown method"):
        tessera.quantize(cnn, _samples((1, 3, 16, 16), 1, 0), method="kl")


def test_compile_and_cli_take_calibration(cnn, tmp_path):
    samples = _samples((1, 3, 16, 16), 3, 0)
    compiled = tessera.compile(cnn, passes=["canonicalize", "quantize-int8"], calibration=samples)
    assert "QConv" in compiled.graph.op_counts()
    with pytest.raises(PassError, match="no 'quantize-int8'"):
        tessera.compile(cnn, calibration=samples)
    model = tmp_path / "cnn.onnx"
    model.write_bytes(tessera.export_onnx(cnn).SerializeToString())
    npz = tmp_path / "cal.npz"
    np.savez(npz, x=np.stack([s["x"] for s in samples]))
    assert main(["compile", str(model), "--quantize", "int8", "--calibration", str(npz), "--json"]) == 0
    assert main(["compile", str(model), "--quantize", "int8"]) == 2


def test_opset9_sum_becomes_qadd_with_fused_relu(rng):
    from tessera.ir import DType, Graph, TensorType
    from tessera.ir.ops import lookup

    g = Graph("residual")
    x = g.add_input("x", TensorType(DType.FLOAT32, (1, 4, 6, 6)))
    w = g.add_constant("w", rng.standard_normal((4, 4, 3, 3)).astype(np.float32) * 0.2)
    c = g.add_node(lookup("Conv"), [x, w], {"pads": [1, 1, 1, 1]}, name="conv").output
    s = g.add_node(lookup("Sum"), [c, x], name="sum").output
    g.outputs.append(g.add_node(lookup("Relu"), [s], name="relu").output)
    result = assert_quantizes(g, _samples((1, 4, 6, 6), 8, 0), _samples((1, 4, 6, 6), 4, 1), 25.0)
    assert result.graph.op_counts()["QAdd"] == 1
    assert [x.fused for x in result.report.layers if x.op == "Sum"] == ["relu"]
