"""What the report says is what the MCU target built: the arena in model.h, its in-place slots and the
weights in model_weights.c, with and without a memory-plan pass in the pipeline; report.json names its
own folder and files."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from _mcu_helpers import QEMU_TOOLS, const, f32, node, random_inputs
from conftest import require, require_tools

import tessera
from tessera.api import CompileResult
from tessera.backends.mcu import McuReport
from tessera.ir import Graph
from tessera.passes.memory.plan_pass import ArenaReport

DW = {"kernel_shape": None, "group": 16, "strides": None, "pads": (1, 1, 1, 1), "dilations": None}


def depthwise_graph() -> Graph:
    """4 nodes, 64 KiB activations: every step may write over its input (the depthwise convs through a
    one-plane workspace)."""
    rng = np.random.default_rng(0)
    g = Graph("depthwise4")
    t = g.add_input("x", f32((1, 16, 32, 32)))
    for i in range(2):
        w = const(g, f"w{i}", rng.standard_normal((16, 1, 3, 3)) * 0.3)
        t = node(g, "Conv", [t, w, const(g, f"b{i}", rng.standard_normal(16))], f"dw{i}", **DW)
        t = node(g, "Relu", [t], f"relu{i}")
    g.outputs.append(t)
    return g


def _define(header: str, name: str) -> int:
    found = re.search(rf"#define {name} (\d+)u", header)
    assert found, f"{name} not in model.h"
    return int(found.group(1))


def assert_report_is_artifact(result: CompileResult, out: Path) -> McuReport:
    built = result.report(McuReport)
    assert built is not None
    plan, cmodel = result.artifact.analyses.plan, result.artifact.cmodel  # type: ignore[attr-defined]
    header = (out / "model.h").read_text()
    assert built.arena_bytes == plan.arena_bytes == _define(header, "TESSERA_MODEL_ARENA_BYTES")
    assert built.weight_bytes == cmodel.weight_bytes == _define(header, "TESSERA_MODEL_WEIGHT_BYTES")
    assert cmodel.plan is plan  # the code was generated from the analysed plan, not a second one
    assert built.inplace_slots == [list(chain) for chain in plan.shared_slots()]
    data = json.loads((out / "report.json").read_text())
    assert data["built"]["report"] == "McuReport"
    assert data["built"]["arena_bytes"] == built.arena_bytes and data["built"]["weight_bytes"] == built.weight_bytes
    assert data["built"]["inplace_slots"] == built.inplace_slots
    html = (out / "report.html").read_text()
    assert f"{built.arena_bytes:,} B" in html and f"{built.weight_bytes:,} B" in html
    return built


@pytest.mark.parametrize("passes", [[], ["memory-plan"]], ids=["no-plan-pass", "memory-plan"])
def test_depthwise_report_is_the_artifact(tmp_path: Path, passes: list[str]) -> None:
    out = tmp_path / "o"
    result = tessera.compile(depthwise_graph(), target="mcu", passes=passes, out_dir=out)
    built = assert_report_is_artifact(result, out)
    assert built.inplace and built.inplace_slots and built.arena_bytes < 2 * 65536  # planned in place
    plan = result.report(ArenaReport)
    if passes:
        assert plan is not None and plan.inplace
        assert plan.arena_bytes == built.arena_bytes
        assert plan.aliases == dict(result.artifact.analyses.plan.aliases)  # type: ignore[attr-defined]
    else:
        assert plan is None


def test_inplace_off_report_and_memory_plan_agree(tmp_path: Path) -> None:
    out = tmp_path / "o"
    options = {"inplace": "false"}
    result = tessera.compile(depthwise_graph(), target="mcu", passes=["memory-plan"], out_dir=out,
                             target_options=options)  # fmt: skip
    built = assert_report_is_artifact(result, out)
    plan = result.report(ArenaReport)
    assert not built.inplace and built.inplace_slots == [] and plan is not None
    assert not plan.inplace and plan.arena_bytes == built.arena_bytes


def test_report_json_names_its_folder_and_files(tmp_path: Path) -> None:
    out = tmp_path / "o"
    result = tessera.compile(depthwise_graph(), target="mcu", passes=[], out_dir=out)
    data = json.loads((out / "report.json").read_text())
    assert data["out_dir"] == str(out) == str(result.out_dir)
    assert data["files"] == {k: str(v) for k, v in result.paths.items()}
    assert data["files"]["report"] == str(out / "report.json") and data["files"]["header"] == str(out / "model.h")
    assert all(Path(p).is_file() for p in data["files"].values())
    assert data["built"]["status"] in ("optimal", "heuristic", "feasible")  # an enum, as its value
    assert "built for mcu" in result.render_text() and "counts no in-place" in result.render_text()


def test_code_size_says_not_built_until_it_is(tmp_path: Path) -> None:
    result = tessera.compile(depthwise_graph(), target="mcu", passes=[])
    built = result.report(McuReport)
    assert built is not None and not built.code_measured
    assert "estimate: not built" in built.render_text()
    assert built.flash_bytes == built.weight_bytes + built.code_bytes


def test_zoo_model_report_is_the_artifact(tmp_path: Path) -> None:
    require("torch", "the zoo models are defined in PyTorch")
    from tessera import zoo

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = tessera.load(zoo.export_onnx(zoo.get("mcunet-vww", resolution=32)))
    for passes in ([], ["canonicalize", "memory-plan"]):
        out = tmp_path / f"o{len(passes)}"
        result = tessera.compile(graph, target="mcu", passes=passes, out_dir=out)
        built = assert_report_is_artifact(result, out)
        plan = result.report(ArenaReport)
        assert plan is None if not passes else plan is not None and plan.arena_bytes == built.arena_bytes


def test_a_qemu_run_adds_code_size_and_kernel_instructions() -> None:
    require_tools(QEMU_TOOLS, "the Cortex-M4 build and its sizes")
    result = tessera.compile(depthwise_graph(), target="mcu", passes=[])
    estimate = result.report(McuReport)
    _, stats = result.artifact.run_with_stats(random_inputs(result.graph), on="qemu", profile=True)  # type: ignore[attr-defined]
    built = result.report(McuReport)
    assert estimate is not None and built is not None and built.code_measured
    assert stats.flash_bytes is not None and built.flash_bytes == stats.flash_bytes
    assert built.code_bytes == stats.flash_bytes - built.weight_bytes
    assert abs(estimate.code_bytes - built.code_bytes) < 0.25 * built.code_bytes
    assert [(n, op) for n, op, _ in built.kernel_instructions] == [(n.name, n.op.name) for n in result.graph.nodes]
    assert built.instructions == stats.instructions and "instructions (last QEMU run)" in built.render_text()
