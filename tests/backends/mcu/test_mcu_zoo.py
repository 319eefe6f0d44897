"""Zoo models through the MCU target: mcunet-vww, mobilenetv2-0.35@96 and bert-tiny (shrunk heads and
vocabulary so the C builds fast) against the reference executor, float32 within the backend's
tolerance and int8 (calibrated on the model's own sample inputs) bit-exact; int8 CNNs also on QEMU
Cortex-M4 within the 256 KB SRAM of a real part."""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pytest
from _mcu_helpers import HOST_TOOLS, QEMU_TOOLS, assert_close
from conftest import MCU_TOOLS, TORCH, require, require_tools

import tessera
from tessera.backends.reference import execute
from tessera.passes.quantize.report import dequantize, quantize_inputs

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
require("torch", TORCH)  # the zoo models are defined in PyTorch
from tessera import zoo  # noqa: E402

MODELS = {
    "mcunet-vww": {"resolution": 64},
    "mobilenetv2": {"width": 0.35, "resolution": 96, "num_classes": 10},
    "bert-tiny": {"seq_len": 32, "vocab": 1000},
}


class Zoo:
    """Each model loaded (and quantized) once per test session."""

    def __init__(self) -> None:
        self._float: dict[str, tuple[zoo.ZooModel, tessera.Graph]] = {}
        self._int8: dict[str, tessera.Graph] = {}

    def float(self, name: str) -> tuple[zoo.ZooModel, tessera.Graph]:
        if name not in self._float:
            zm = zoo.get(name, **MODELS[name])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._float[name] = zm, tessera.load(zoo.export_onnx(zm))
        return self._float[name]

    def int8(self, name: str) -> tessera.Graph:
        if name not in self._int8:
            zm, graph = self.float(name)
            self._int8[name] = tessera.quantize(graph, zm.sample_inputs(4, seed=0)).graph
        return self._int8[name]


@pytest.fixture(scope="module")
def models() -> Zoo:
    return Zoo()


def _inputs(zm: zoo.ZooModel) -> Mapping[str, np.ndarray]:
    return zm.sample_inputs(1, seed=7)[0]  # not a calibration input


@pytest.mark.parametrize("name", list(MODELS))
def test_float_zoo_model_on_host(models: Zoo, name: str) -> None:
    require_tools(HOST_TOOLS, MCU_TOOLS)
    zm, graph = models.float(name)
    # a host run checks the numerics: float mobilenetv2 needs a 504 KiB arena, so raise the RAM budget
    result = tessera.compile(graph, target="mcu", target_options={"ram_kb": 16 * 1024})
    inputs = _inputs(zm)
    assert_close(result.run(inputs), execute(result.graph, inputs))


@pytest.mark.parametrize("name", list(MODELS))
def test_int8_zoo_model_on_host_bit_exact(models: Zoo, name: str) -> None:
    require_tools(HOST_TOOLS, MCU_TOOLS)
    zm, _ = models.float(name)
    graph = models.int8(name)
    assert graph.op_counts().get("QConv" if name != "bert-tiny" else "QFullyConnected", 0) >= 4
    result = tessera.compile(graph, target="mcu", passes=["memory-schedule"])
    inputs = _inputs(zm)
    got, want = result.run(inputs), execute(result.graph, inputs)
    for key, ref in want.items():
        assert np.array_equal(got[key], ref), key


@pytest.mark.slow
@pytest.mark.parametrize("name", ["mcunet-vww", "mobilenetv2"])
def test_int8_zoo_cnn_on_qemu_in_256kb(models: Zoo, name: str) -> None:
    require_tools(QEMU_TOOLS, MCU_TOOLS)
    zm, _ = models.float(name)
    result = tessera.compile(
        models.int8(name), target="mcu", passes=["memory-schedule"], target_options={"ram_kb": 256}
    )
    inputs = _inputs(zm)
    got, want = result.run(inputs, on="qemu"), execute(result.graph, inputs)
    for key, ref in want.items():
        assert np.array_equal(got[key], ref), key
    assert result.artifact.last_stats.instructions > 1_000_000


def test_int8_io_mobilenet_on_host_bit_exact_with_scale_macros(models: Zoo, tmp_path) -> None:
    """int8_io=True: the caller passes int8 data (TFLM style); outputs equal the float-I/O int8 graph's
    after dequantizing with the recorded parameters, and model.h carries those parameters."""
    require_tools(HOST_TOOLS, MCU_TOOLS)
    zm, graph = models.float("mobilenetv2")
    q = tessera.quantize(graph, zm.sample_inputs(4, seed=0), int8_io=True)
    io = q.graph.io_qparams
    assert q.report.io_qparams == io and set(io) == {"image", "output"}
    assert [v.dtype.value for v in (*q.graph.inputs, *q.graph.outputs)] == ["int8", "int8"]
    result = tessera.compile(q.graph, target="mcu", passes=["memory-schedule"], out_dir=tmp_path / "out")
    x = quantize_inputs(q.graph, _inputs(zm))
    got = result.run(x)
    assert np.array_equal(got["output"], execute(result.graph, x)["output"])
    float_io = execute(models.int8("mobilenetv2"), _inputs(zm))["output"]
    assert np.array_equal(dequantize(got["output"], *io["output"]), float_io)
    header = (tmp_path / "out" / "model.h").read_text()
    assert f"#define TESSERA_MODEL_INPUT_0_ZERO_POINT ({io['image'][1]})" in header
    assert "#define TESSERA_MODEL_OUTPUT_0_SCALE " in header
    float_arena = tessera.compile(models.int8("mobilenetv2"), target="mcu", passes=["memory-schedule"])
    assert result.artifact.cmodel.plan.arena_bytes <= float_arena.artifact.cmodel.plan.arena_bytes
