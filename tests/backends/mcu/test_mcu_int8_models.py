"""Quantized whole models through the MCU target, bit-exact against the reference executor on the
int8 graph: a MobileNetV2-style CNN and a BERT-style encoder block (int8 around float Softmax,
LayerNorm and GELU islands), on the host (plain and under ASan + UBSan) and on QEMU Cortex-M4."""

import numpy as np
import pytest
from _mcu_helpers import HOST_TOOLS, QEMU_TOOLS, random_inputs
from conftest import MCU_TOOLS, TORCH, require, require_tools

import tessera
from tessera.backends.reference import execute

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
models = require("_mcu_models", TORCH)


def _quantized(source: bytes, seed: int) -> tessera.CompileResult:
    graph = tessera.load(source)
    calibration = [random_inputs(graph, seed + i) for i in range(8)]
    quantized = tessera.quantize(graph, calibration).graph
    return tessera.compile(quantized, target="mcu", passes=[])


@pytest.fixture(scope="module")
def mobilenet() -> tessera.CompileResult:
    result = _quantized(models.mobilenet_onnx(), 0)
    counts = result.graph.op_counts()
    assert counts["QConv"] >= 12 and counts["QAdd"] >= 1 and counts["QFullyConnected"] == 1
    return result


@pytest.fixture(scope="module")
def bert() -> tessera.CompileResult:
    result = _quantized(models.bert_onnx(), 0)
    counts = result.graph.op_counts()
    assert counts["QFullyConnected"] >= 6 and counts["QMatMul"] == 2 and counts["QuantizeLinear"] >= 3
    return result


def _bit_exact(result: tessera.CompileResult, on: str, sanitize: bool = False, seed: int = 5) -> None:
    require_tools(QEMU_TOOLS if on == "qemu" else HOST_TOOLS, MCU_TOOLS)
    inputs = random_inputs(result.graph, seed)
    got = result.run(inputs, on=on, sanitize=sanitize)
    want = execute(result.graph, inputs)
    for name, ref in want.items():
        assert np.array_equal(got[name], ref), name


@pytest.mark.parametrize("sanitize", [False, True], ids=["plain", "sanitized"])
def test_int8_mobilenet_like_on_host(mobilenet: tessera.CompileResult, sanitize: bool) -> None:
    _bit_exact(mobilenet, "host", sanitize)


def test_int8_mobilenet_like_on_qemu(mobilenet: tessera.CompileResult) -> None:
    _bit_exact(mobilenet, "qemu")
    stats = mobilenet.artifact.last_stats
    assert stats.instructions > 100_000 and stats.bss >= mobilenet.artifact.cmodel.plan.arena_bytes


def test_int8_bert_block_on_host_sanitized(bert: tessera.CompileResult) -> None:
    _bit_exact(bert, "host", sanitize=True)


def test_int8_bert_block_on_qemu(bert: tessera.CompileResult) -> None:
    _bit_exact(bert, "qemu")


def test_int8_arena_and_weights_smaller_than_float(mobilenet: tessera.CompileResult) -> None:
    fp32 = tessera.compile(models.mobilenet_onnx(), target="mcu")
    assert mobilenet.artifact.cmodel.plan.arena_bytes < fp32.artifact.cmodel.plan.arena_bytes / 3
    assert mobilenet.artifact.cmodel.weight_bytes < fp32.artifact.cmodel.weight_bytes / 2
