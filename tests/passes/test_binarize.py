"""The binarize and pack-binary passes: which layers are chosen (first and last kept), the report's
figures recomputed from the graphs, pack-binary equal bit for bit to the float formulation for every
scaling, convolutions and matrix products, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from tessera.errors import PassError
from tessera.ir.dtypes import DType
from tessera.ir.graph import Graph
from tessera.ir.interpreter import execute
from tessera.ir.ops.activation import Relu
from tessera.ir.ops.conv import Conv
from tessera.ir.ops.linalg import Gemm, MatMul
from tessera.ir.types import TensorType
from tessera.passes import PassManager, get_pass
from tessera.passes.binarize import BinarizeReport, PackBinaryReport
from tessera.passes.quantize.report import sqnr_db

SCALINGS = ("xnor", "bireal", "scales")


def _conv(g: Graph, x, cout: int, name: str, **attrs):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(len(g.nodes))  # the same weights every time the graph is built
    cin = x.shape[1] // attrs.get("group", 1)
    w = g.add_constant(f"{name}_w", (rng.standard_normal((cout, cin, 3, 3)) * 0.2).astype(np.float32))
    b = g.add_constant(f"{name}_b", (rng.standard_normal(cout) * 0.1).astype(np.float32))
    return g.add_node(Conv, [x, w, b], {"pads": [1, 1, 1, 1], **attrs}, name=name).output


def cnn() -> Graph:
    """3 -> 8 -> 40 -> 40 -> 64 (stride 2) -> 64 (group 2) -> 64 (depthwise) -> 3."""
    g = Graph("cnn")
    x = g.add_input("image", TensorType(DType.FLOAT32, (1, 3, 12, 12)))
    y = g.add_node(Relu, [_conv(g, x, 8, "head")]).output
    y = g.add_node(Relu, [_conv(g, y, 40, "body1")]).output
    y = _conv(g, y, 40, "body2")
    y = _conv(g, y, 64, "down", strides=[2, 2])
    y = _conv(g, y, 64, "grouped", group=2)
    y = _conv(g, y, 64, "depthwise", group=64)
    g.outputs.append(_conv(g, y, 3, "tail"))
    return g


def mlp() -> Graph:
    rng = np.random.default_rng(1)
    g = Graph("mlp")
    x = g.add_input("x", TensorType(DType.FLOAT32, (4, 40)))
    w0, w1 = (
        g.add_constant(f"w{i}", rng.standard_normal(s).astype(np.float32)) for i, s in ((0, (40, 40)), (1, (33, 40)))
    )
    c1 = g.add_constant("c1", rng.standard_normal(33).astype(np.float32))
    w2, w3 = (
        g.add_constant(f"w{i}", rng.standard_normal(s).astype(np.float32)) for i, s in ((2, (33, 33)), (3, (33, 5)))
    )
    y = g.add_node(MatMul, [x, w0], name="first").output
    y = g.add_node(Gemm, [y, w1, c1], {"transB": 1}, name="gemm").output
    y = g.add_node(Relu, [g.add_node(MatMul, [y, w2], name="square").output]).output
    g.outputs.append(g.add_node(MatMul, [y, w3], name="last").output)
    return g


def _inputs(g: Graph, count: int = 2, seed: int = 0) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [{v.name: rng.standard_normal(v.shape).astype(np.float32) for v in g.inputs} for _ in range(count)]


def _binarize(g: Graph, **options) -> tuple[Graph, BinarizeReport]:  # type: ignore[no-untyped-def]
    result = PassManager([get_pass("binarize", **options)]).run(g)
    report = result.records[-1].report
    assert isinstance(report, BinarizeReport)
    return result.graph, report


def _pack(g: Graph) -> tuple[Graph, PackBinaryReport]:
    result = PassManager([get_pass("canonicalize"), get_pass("pack-binary")]).run(g)
    report = result.records[-1].report
    assert isinstance(report, PackBinaryReport)
    return result.graph, report


def test_first_and_last_kept_and_depthwise_stays_float() -> None:
    _, report = _binarize(cnn(), scaling="xnor")
    assert [x.name for x in report.layers] == ["body1", "body2", "down", "grouped"]
    kept = {k.name: k.reason for k in report.kept}
    assert "first layer" in kept["head"] and "last layer" in kept["tail"]
    assert "depthwise" in kept["depthwise"]


def test_layer_patterns_choose_and_name_what_cannot_be() -> None:
    _, report = _binarize(cnn(), layers=("body*", "tail"))
    assert [x.name for x in report.layers] == ["body1", "body2", "tail"]
    with pytest.raises(PassError, match="matches no convolution"):
        _binarize(cnn(), layers=("nothing*",))
    with pytest.raises(PassError, match="'depthwise' cannot be binarized: group 64"):
        _binarize(cnn(), layers=("depthwise",))
    with pytest.raises(PassError, match="unknown scaling 'dorefa'"):
        get_pass("binarize", scaling="dorefa")


@pytest.mark.parametrize("scaling", SCALINGS)
def test_report_error_equals_a_recomputation(scaling: str) -> None:
    src, samples = cnn(), _inputs(cnn())
    dst, report = _binarize(src.copy(), scaling=scaling, inputs=samples)
    assert report.eval_samples == 2 and report.inputs == "user data"
    for layer in report.layers:
        signal = noise = 0.0
        for s in samples:
            f = execute(src, s, capture=True)[layer.output].astype(np.float64)
            b = execute(dst, s, capture=True)[layer.output].astype(np.float64)
            signal, noise = signal + float(np.sum(f * f)), noise + float(np.sum((f - b) ** 2))
        assert layer.sqnr_db == pytest.approx(sqnr_db(signal, noise), rel=1e-9)
    ref = np.concatenate([execute(src, s)["tail"].ravel() for s in samples]).astype(np.float64)
    got = np.concatenate([execute(dst, s)["tail"].ravel() for s in samples]).astype(np.float64)
    (out,) = report.outputs
    assert out.max_abs_error == pytest.approx(float(np.abs(ref - got).max()), rel=1e-12)
    assert out.sqnr_db == pytest.approx(sqnr_db(float(ref @ ref), float((ref - got) @ (ref - got))), rel=1e-9)


@pytest.mark.parametrize("scaling", SCALINGS)
def test_pack_binary_is_bit_exact(scaling: str) -> None:
    trained, _ = _binarize(cnn(), scaling=scaling)
    packed, report = _pack(trained.copy())
    counts = packed.op_counts()
    assert report.packed == counts["BinaryConv"] == counts["PackBits"] == 4
    assert "BinarySign" not in counts and report.alpha_folded == 4
    assert report.bias_folded == (0 if scaling == "scales" else 4)  # SCALES adds the bias after its rescalings
    for s in _inputs(trained, 3):
        s["image"][0, 0, :2] = 0.0  # exact zeros: s(0) = +1 in both forms
        a, b = execute(trained, s)["tail"], execute(packed, s)["tail"]
        assert np.array_equal(a.view(np.uint32), b.view(np.uint32))


def test_matmuls_binarize_and_pack_bit_exact() -> None:
    trained, report = _binarize(mlp(), scaling="bireal")
    assert [(x.name, x.shortcut) for x in report.layers] == [("gemm", False), ("square", True)]
    packed, packs = _pack(trained.copy())
    assert packs.packed == 2 and packed.op_counts()["BinaryConv"] == 2
    for s in _inputs(trained, 3):
        a, b = execute(trained, s)["last"], execute(packed, s)["last"]
        assert np.array_equal(a.view(np.uint32), b.view(np.uint32))


def test_a_batched_matmul_packs_through_reshapes() -> None:
    rng = np.random.default_rng(3)
    g = Graph("tokens")
    x = g.add_input("x", TensorType(DType.FLOAT32, (2, 6, 40)))
    y = g.add_node(MatMul, [x, g.add_constant("w", rng.standard_normal((40, 40)).astype(np.float32))], name="mm")
    g.outputs.append(y.output)
    trained, _report = _binarize(g, scaling="scales", keep_first_last=False)
    packed, packs = _pack(trained.copy())
    assert packs.packed == 1 and packs.alpha_folded == 1 and "MatMul" not in packed.op_counts()
    for s in _inputs(trained, 2):
        a, b = execute(trained, s)["mm"], execute(packed, s)["mm"]
        assert np.array_equal(a.view(np.uint32), b.view(np.uint32))


def test_weight_bytes_and_macs() -> None:
    _, report = _binarize(cnn(), scaling="scales")
    by = {x.name: x for x in report.layers}
    grouped = by["grouped"]  # 64 -> 64, 32 channels per group: one word per filter tap
    assert grouped.weight_bytes == 64 * 32 * 9 * 4 and grouped.packed_bytes == 64 * 1 * 9 * 4
    assert grouped.weight_bytes / grouped.packed_bytes == 32
    assert by["body2"].packed_bytes == 40 * 2 * 9 * 4  # 40 channels take two words
    assert grouped.binary_macs == 64 * 6 * 6 * 32 * 9
    assert grouped.rescale_macs > 0 and grouped.factor_bytes == 2 * 64 * 4
    assert report.binary_macs == sum(x.binary_macs for x in report.layers)
    text = report.render_text()
    assert "kept: depthwise" in text and "MACs moved to binary ops" in text


def test_random_inputs_are_flagged() -> None:
    _, report = _binarize(cnn(), scaling="xnor")
    assert report.inputs.startswith("RANDOM")
