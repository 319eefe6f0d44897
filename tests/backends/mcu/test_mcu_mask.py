"""A BERT attention mask on the MCU target: the mask kernels (And / Or / Xor, Where, IsNaN, GatherND,
Gather of a bool table) bit-exact against the reference on host and QEMU, and a tiny random
transformers BertModel with input_ids and attention_mask as graph inputs, compiled from both routes
(torch.export and frontend="onnx")."""

import io

import numpy as np
import pytest
from _mcu_helpers import HOST_TOOLS, QEMU_TOOLS, assert_close, f32, node
from conftest import MCU_TOOLS, TORCH, require, require_tools

import tessera
from tessera.backends.reference import execute
from tessera.ir import DType, Graph, TensorType

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")
ON = [
    pytest.param("host", False, id="host"),
    pytest.param("host", True, id="sanitized"),
    pytest.param("qemu", False, id="qemu"),
]


def _tools(on: str) -> None:
    require_tools(QEMU_TOOLS if on == "qemu" else HOST_TOOLS, MCU_TOOLS)


def _mask_graph() -> Graph:
    g = Graph("mask_ops")
    mask = g.add_input("mask", TensorType(DType.INT64, (2, 6)))
    x = g.add_input("x", f32((2, 3, 6)))
    b = node(g, "Cast", [mask], to=DType.BOOL)
    rows = g.add_constant("rows", np.array([[1], [0], [1]], dtype=np.int64))
    picked = node(g, "GatherND", [b, rows], batch_dims=0)  # (3, 6) bool
    pairs = g.add_constant("pairs", np.array([[[0, 2], [1, 0]], [[1, 1], [-1, -3]]], dtype=np.int64))
    points = node(g, "GatherND", [x, pairs], batch_dims=0)  # (2, 2, 6) float rows of a 3-d table
    taken = node(g, "Gather", [b, g.add_constant("k", np.array([1, 0, 1], dtype=np.int64))], axis=0)  # (3, 6)
    col = node(g, "Unsqueeze", [taken], axes=(2,))  # (3, 6, 1)
    both = node(g, "And", [col, node(g, "Unsqueeze", [picked], axes=(1,))])  # (3, 6, 6), broadcast
    flip = node(g, "Xor", [taken, picked])
    either = node(g, "Or", [taken, picked])
    zero, neg = g.add_constant("zero", np.float32(0.0)), g.add_constant("neg", np.float32(-np.inf))
    bias = node(g, "Where", [both, zero, neg])
    nan = node(g, "Div", [x, x])  # 0 / 0 where x is 0: NaN
    isnan = node(g, "IsNaN", [nan])
    clean = node(g, "Where", [isnan, x, nan])
    g.outputs.extend([picked, points, both, either, flip, bias, isnan, clean])
    return g


@pytest.mark.parametrize(("on", "sanitize"), ON)
def test_mask_kernels_bit_exact(on: str, sanitize: bool) -> None:
    _tools(on)
    result = tessera.compile(_mask_graph(), target="mcu", passes=[])
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 6)).astype(np.float32)
    x[0, 1, 2] = x[1, 2, 5] = 0.0
    inputs = {"mask": rng.integers(0, 2, (2, 6)).astype(np.int64), "x": x}
    got, want = result.run(inputs, on=on, sanitize=sanitize), execute(result.graph, inputs)
    assert want[result.graph.outputs[6].name].any()  # some NaN is really tested
    for name, ref in want.items():
        assert got[name].dtype == ref.dtype and np.array_equal(got[name], ref, equal_nan=ref.dtype.kind == "f"), name


def _bert(route: str) -> tuple[tessera.Graph, dict[str, np.ndarray]]:
    """A tiny seeded BertModel; input_ids and attention_mask (last two positions padded) are graph inputs."""
    torch = require("torch", TORCH)
    transformers = require("transformers", "transformers (pip install transformers)")
    torch.manual_seed(0)
    config = transformers.BertConfig(
        vocab_size=64, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=37,
        max_position_embeddings=16,
    )  # fmt: skip
    bert = transformers.BertModel(config).eval()

    class Hidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    ids = torch.randint(0, 64, (1, 8))
    mask = torch.ones(1, 8, dtype=torch.int64)
    mask[0, 6:] = 0
    names = ["input_ids", "attention_mask"]
    if route == "onnx":
        buf = io.BytesIO()
        with torch.no_grad():
            torch.onnx.export(Hidden().eval(), (ids, mask), buf, dynamo=False, input_names=names, opset_version=17)
        graph = tessera.load(buf.getvalue(), frontend="onnx")
    else:
        graph = tessera.load(Hidden().eval(), example_inputs=(ids, mask))
    return graph, dict(zip([v.name for v in graph.inputs], (ids.numpy(), mask.numpy()), strict=True))


@pytest.mark.parametrize("route", ["export", "onnx"])
def test_masked_bert_on_the_mcu(route: str) -> None:
    """Float32 outputs agree with tessera.run to the project's float tolerance (rtol 1e-4; measured
    max |error| 2.4e-7, 1-2 ulp). Bisecting over every intermediate: the embeddings, the mask path and
    LayerNormalization (which sums in numpy's pairwise order) are exact; the first difference is the
    float MatMul, whose reference is numpy's BLAS (blocked, FMA) sum order. The int8 model below is
    bit-exact. The mask is really applied: padding it differently changes the output."""
    graph, feeds = _bert(route)
    result = tessera.compile(graph, target="mcu")
    counts = result.graph.op_counts()
    assert counts["And"] == 1 and counts["Where"] >= 1 and ("GatherND" in counts or "IsNaN" in counts), counts
    want = tessera.run(graph, feeds)
    unmasked = tessera.run(graph, {**feeds, list(feeds)[1]: np.ones_like(feeds[list(feeds)[1]])})
    assert not np.allclose(next(iter(want.values())), next(iter(unmasked.values())), atol=1e-3)
    for on in ("host", "qemu"):
        _tools(on)
        got = result.run(feeds, on=on)
        assert_close(got, want)


@pytest.mark.parametrize("route", ["export", "onnx"])
def test_masked_int8_bert_on_the_mcu_bit_exact(route: str) -> None:
    """quantize-int8 makes the projections int8 (the mask's -inf keeps its Add float, with the reason);
    what stays float (LayerNormalization, Softmax, Gelu/Erf, the mask ops) is bit-exact in C, so host
    and QEMU equal tessera.run exactly."""
    graph, feeds = _bert(route)
    ids, mask = list(feeds)
    rng = np.random.default_rng(1)
    calibration = []
    for i in range(8):
        m = np.ones((1, 8), np.int64)
        m[0, 8 - i % 4 :] = 0
        calibration.append({ids: rng.integers(0, 64, (1, 8)).astype(np.int64), mask: m})
    q = tessera.quantize(graph, calibration)
    counts = q.graph.op_counts()
    assert counts["QFullyConnected"] == 6 and counts["QMatMul"] == 2 and counts["And"] == 1, counts
    assert any("not finite" in f.reason for f in q.report.float_layers)
    result = tessera.compile(q.graph, target="mcu")
    want = tessera.run(q.graph, feeds)
    for on in ("host", "qemu"):
        _tools(on)
        got = result.run(feeds, on=on)
        for name, ref in want.items():
            assert np.array_equal(got[name], ref), (on, name, float(np.abs(got[name] - ref).max()))
