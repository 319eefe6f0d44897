"""Shared checks for quantize-int8 tests. `assert_quantizes(graph, calibration)` is the one-liner
for any model (zoo models: `assert_quantizes(tessera.load(m.module, ...), m.sample_inputs(8))`)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import numpy as np

import tessera
from tessera.ir.verifier import verify

Samples = Sequence[Mapping[str, np.ndarray]]


def abs_errors(src: tessera.Graph, dst: tessera.Graph, samples: Samples) -> dict[str, np.ndarray]:
    """Every output's |float - int8| over all samples, flattened."""
    errors: dict[str, list[np.ndarray]] = {}
    for s in samples:
        ref, got = tessera.run(src, s), tessera.run(dst, s)
        for k in ref:
            errors.setdefault(k, []).append(np.abs(ref[k].astype(np.float64) - got[k]).reshape(-1))
    return {k: np.concatenate(v) for k, v in errors.items()}


def assert_quantizes(
    graph: tessera.Graph,
    calibration: Samples,
    held_out: Samples = (),
    min_output_sqnr_db: float = 10.0,
    **options,
) -> tessera.QuantizeResult:
    """Quantize; the int8 graph verifies, runs, has int8 layers, reports what it measured (the
    reported output errors reproduce exactly), and on held-out inputs its mean |error| stays within
    2x of the reported one. (The max is not bounded: held-out inputs may leave the calibrated
    ranges and clip.)"""
    result = tessera.quantize(graph, calibration, **options)
    verify(result.graph)
    report = result.report
    assert report.layers, "no layer became int8"
    assert all(f.reason for f in report.float_layers)
    assert report.size_int8_bytes < report.size_float_bytes
    float_graph = tessera.load(graph)
    evaluation = list(calibration)[: report.eval_samples]
    measured = abs_errors(float_graph, result.graph, evaluation)
    for out in report.outputs:
        assert np.isclose(measured[out.name].max(), out.max_abs_error, rtol=1e-5, atol=1e-7), out.name
        assert np.isclose(measured[out.name].mean(), out.mean_abs_error, rtol=1e-5, atol=1e-7), out.name
        assert out.sqnr_db >= min_output_sqnr_db, f"output {out.name}: SQNR {out.sqnr_db:.1f} dB"
    if held_out:
        unseen = abs_errors(float_graph, result.graph, held_out)
        for out in report.outputs:
            err = unseen[out.name]
            assert err.mean() <= 2 * out.mean_abs_error + 1e-7, (out.name, err.mean(), out.mean_abs_error)
    return result


def one_node_graph(graph: tessera.Graph, node) -> tessera.Graph:
    """`node` alone: its non-constant inputs become graph inputs, its constants are copied."""
    g = tessera.Graph(f"{graph.name}_{node.name}")
    inputs = [
        g.add_constant(v.name, v.data) if v.data is not None else g.add_input(v.name, v.type) for v in node.inputs
    ]
    g.outputs.append(g.add_node(node.op, inputs, node.attrs, name=node.name).output)
    return g


def torch_onnx(module, example: Sequence, input_names: Sequence[str]) -> bytes:
    import torch

    buffer = io.BytesIO()
    torch.onnx.export(module.eval(), tuple(example), buffer, dynamo=False, input_names=list(input_names))
    return buffer.getvalue()
