"""Whole models through the MCU target: on the host (gcc, and again with ASan + UBSan) and on an
emulated Cortex-M4 (QEMU mps2-an386), each against the reference executor."""

import numpy as np
import pytest
from _mcu_helpers import HOST_TOOLS, check_on
from conftest import MCU_TOOLS, TORCH, require, require_tools

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
models = require("_mcu_models", TORCH)


@pytest.mark.parametrize("sanitize", [False, True], ids=["plain", "sanitized"])
def test_mobilenet_like_on_host(sanitize: bool) -> None:
    check_on(models.mobilenet_onnx(), sanitize=sanitize)


@pytest.mark.parametrize("sanitize", [False, True], ids=["plain", "sanitized"])
def test_bert_block_on_host(sanitize: bool) -> None:
    check_on(models.bert_onnx(), sanitize=sanitize)


def test_mobilenet_like_on_qemu() -> None:
    result = check_on(models.mobilenet_onnx(), on="qemu")
    stats = result.artifact.last_stats
    assert stats.on == "qemu" and stats.instructions > 100_000
    assert stats.bss >= result.artifact.cmodel.plan.arena_bytes  # the arena is in static RAM
    assert stats.flash_bytes >= result.artifact.cmodel.weight_bytes


def test_bert_block_on_qemu_with_profile() -> None:
    require_tools(("qemu-system-arm",), MCU_TOOLS)
    result = check_on(models.bert_onnx(), on="qemu")
    inputs = {"ids": np.arange(16, dtype=np.int64).reshape(1, 16) % 64}
    plain = result.run(inputs, on="qemu")
    profiled, stats = result.artifact.run_with_stats(inputs, on="qemu", profile=True)
    np.testing.assert_array_equal(profiled[result.graph.outputs[0].name], plain[result.graph.outputs[0].name])
    assert len(stats.steps) == len(result.graph.nodes)
    assert all(count >= 0 for _, _, count in stats.steps)
    assert sum(c for _, _, c in stats.steps) <= stats.instructions


@pytest.mark.slow
@pytest.mark.parametrize("name", ["squeezenet", "shufflenet"])
def test_light_models_on_host(name: str) -> None:
    require_tools(HOST_TOOLS, MCU_TOOLS)
    from tessera.models_zoo.light import randomized_light_model

    # a host run checks the numerics: the budgets are raised past these float models (arena > 256 KiB,
    # squeezenet weights > 4 MiB)
    check_on(
        randomized_light_model(name, seed=0).SerializeToString(),
        target_options={"ram_kb": 16 * 1024, "flash_kb": 64 * 1024},
    )
