"""Budgets and refusals: a model over its RAM or flash budget is refused before any C is written, with
the numbers that explain it, the default budgets included, counting the harness's buffers; advice that
follows the model; QEMU refuses what its board cannot hold; ops the backend lacks are listed in one
error; the CLI flags map to the target options."""

import numpy as np
import pytest
from _mcu_helpers import const, f32, node, random_inputs
from _patch_cnn import int8_cnn, small_cnn

import tessera
from tessera.backends.mcu import McuOptions
from tessera.backends.mcu.advice import ram_advice
from tessera.backends.mcu.budget import STACK_BYTES
from tessera.cli import main as cli_main
from tessera.errors import TargetError
from tessera.frontends.onnx_export import export_onnx
from tessera.ir import Graph
from tessera.passes import get_pass


def wide_graph(width: int = 64 * 1024) -> Graph:
    """Two live float tensors of `width` elements: an arena of 2 x 4 x width bytes (x is read again by
    the Add, so the Relu cannot overwrite it; the Add overwrites the Relu's output in place)."""
    g = Graph("wide")
    x = g.add_input("x", f32((1, width)))
    y = node(g, "Relu", [x], name="big_relu")
    g.outputs.append(node(g, "Add", [y, x], name="add_one"))
    return g


def test_over_ram_budget_is_refused_before_writing(tmp_path) -> None:
    out = tmp_path / "out"
    with pytest.raises(TargetError) as err:
        tessera.compile(wide_graph(), target="mcu", out_dir=out, target_options={"ram_kb": 256})
    text = str(err.value)
    assert "ram_kb=256" in text and "512.0 KiB (524,288 B)" in text and "liveness peak" in text
    assert "big_relu" in text and "memory-schedule" in text
    assert "'big_relu' = 'add_one' (256.0 KiB (262,144 B), one slot shared in place)" in text
    assert not out.exists()


def test_over_flash_budget_is_refused() -> None:
    g = Graph("heavy")
    x = g.add_input("x", f32((1, 512)))
    g.outputs.append(node(g, "MatMul", [x, const(g, "w", np.zeros((512, 512)))]))
    with pytest.raises(TargetError, match=r"flash_kb=512 .*1024.0 KiB \(1,048,576 B\)"):
        tessera.compile(g, target="mcu", target_options={"flash_kb": 512})
    tessera.compile(g, target="mcu", target_options={"flash_kb": 1100})


def test_missing_ops_are_listed_in_one_error() -> None:
    g = Graph("odd")
    x = g.add_input("x", f32((2, 3)))
    a = node(g, "Sin", [x], name="sine")
    b = node(g, "Cos", [a], name="cosine")
    g.outputs.append(node(g, "Relu", [b]))
    with pytest.raises(TargetError) as err:
        tessera.compile(g, target="mcu")
    text = str(err.value)
    assert "ops it lacks: Cos, Sin" in text and "'Sin sine'" in text and "'Cos cosine'" in text


def test_bad_options_are_refused() -> None:
    with pytest.raises(TargetError, match="no option"):
        tessera.compile(wide_graph(8), target="mcu", target_options={"ram": 1})
    with pytest.raises(TargetError, match="ram_kb must be"):
        tessera.compile(wide_graph(8), target="mcu", target_options={"ram_kb": "lots"})


def test_default_budgets_refuse_without_ram_kb_or_flash_kb(tmp_path) -> None:
    out = tmp_path / "out"
    with pytest.raises(TargetError, match=r"ram_kb=256 \(262,144 B\)"):  # 320 KiB arena, no budget given
        tessera.compile(wide_graph(40 * 1024), target="mcu", out_dir=out)
    assert not out.exists()
    g = Graph("heavy")
    x = g.add_input("x", f32((1, 1024)))
    g.outputs.append(node(g, "MatMul", [x, const(g, "w", np.zeros((1024, 1025)))]))  # 4100 KiB of weights
    with pytest.raises(TargetError, match=r"flash_kb=4096 .*of code"):
        tessera.compile(g, target="mcu")


def test_caller_inputs_count_the_harness_buffer() -> None:
    g = Graph("relu")
    x = g.add_input("x", f32((1, 16 * 1024)))  # 64 KiB input
    g.outputs.append(node(g, "Relu", [x]))
    options = {"inputs": "caller", "ram_kb": 1024}
    report = tessera.compile(g.copy(), target="mcu", target_options=options).target_report
    assert report.harness_input_bytes == 64 * 1024 and report.ram_bytes == report.arena_bytes + STACK_BYTES + 65536
    ram_kb = (report.arena_bytes + STACK_BYTES + 32 * 1024) / 1024  # fits without the harness buffer only
    with pytest.raises(TargetError, match=r"64\.0 KiB \(65,536 B\) of caller-input buffers"):
        tessera.compile(g.copy(), target="mcu", target_options={"inputs": "caller", "ram_kb": ram_kb})


def test_qemu_refuses_budgets_beyond_the_board() -> None:
    result = tessera.compile(wide_graph(8), target="mcu", target_options={"flash_kb": 8192})
    with pytest.raises(TargetError) as err:  # refused before any tool runs: no QEMU needed
        result.run(random_inputs(result.graph), on="qemu")
    text = str(err.value)
    assert "mps2-an386" in text and "4096 KiB of code memory" in text and "flash_kb=8192" in text


def test_int8_model_is_not_told_to_quantize() -> None:
    with pytest.raises(TargetError) as err:
        tessera.compile(int8_cnn(), target="mcu", passes=[], target_options={"ram_kb": 8})
    text = str(err.value)
    assert "To fit:" in text and "quantize to int8" not in text and "memory-schedule" in text


def test_memory_scheduled_model_is_not_told_to_schedule() -> None:
    passes = [get_pass("memory-schedule", time_limit_s=2.0)]
    with pytest.raises(TargetError) as err:
        tessera.compile(wide_graph(), target="mcu", passes=passes, target_options={"ram_kb": 256})
    text = str(err.value)
    assert "To fit:" in text and "memory-schedule" not in text and "quantize-int8" in text


def test_cnn_is_told_patch_based() -> None:
    with pytest.raises(TargetError, match="patch by patch"):
        tessera.compile(small_cnn(), target="mcu", passes=[], target_options={"ram_kb": 8})


def test_advice_follows_the_model() -> None:
    g = wide_graph(8)
    tips = ram_advice(g, 0, ["x", "big_relu"], McuOptions())
    assert any("inputs='caller'" in t for t in tips) and any("memory-schedule" in t for t in tips)
    assert not any("patch-based" in t for t in tips)  # no convolution
    assert not any("inputs='caller'" in t for t in ram_advice(g, 0, ["x"], McuOptions(inputs="caller")))
    g.memory_schedule = tuple(n.name for n in g.nodes)
    assert not any("memory-schedule" in t for t in ram_advice(g, 0, ["x"], McuOptions()))
    g.nodes.reverse()  # a later reorder: no longer the schedule's order
    assert any("memory-schedule" in t for t in ram_advice(g, 0, ["x"], McuOptions()))


def test_int8_model_with_float_io_in_the_peak_is_told_int8_io() -> None:
    q = int8_cnn()
    (x,) = q.inputs
    assert x.dtype.is_float  # float in, quantized inside
    tips = ram_advice(q, 0, [x.name], McuOptions())
    assert any("int8_io=True" in t and x.name in t for t in tips)
    assert not any("int8_io" in t for t in ram_advice(q, 0, [], McuOptions()))  # not in the peak


def test_cli_budget_flags(tmp_path, capsys) -> None:
    model = tmp_path / "wide.onnx"
    model.write_bytes(export_onnx(wide_graph()).SerializeToString())
    assert cli_main(["compile", str(model), "--target", "mcu", "--ram-kb", "256", "-o", str(tmp_path / "o")]) == 2
    assert "does not fit in ram_kb=256" in capsys.readouterr().err
    code = cli_main(["compile", str(model), "--target", "mcu", "--ram-kb", "1024", "-o", str(tmp_path / "o")])
    assert code == 0
    readme = (tmp_path / "o" / "README.md").read_text()
    assert "524288 bytes" in readme and (tmp_path / "o" / "link.ld").read_text().count("1048576") == 1


def test_arena_in_the_c_is_the_planners(tmp_path) -> None:
    from tessera.backends.mcu import default_planner, inplace_rules
    from tessera.passes.memory.arena import plan_arena

    result = tessera.compile(wide_graph(1000), target="mcu", out_dir=tmp_path / "o")
    plan = plan_arena(result.graph, method=default_planner(), inplace=inplace_rules())
    assert plan.aliases == {"add_one": "big_relu"}
    header = (tmp_path / "o" / "model.h").read_text()
    assert f"#define TESSERA_MODEL_ARENA_BYTES {plan.arena_bytes}u" in header
    source = (tmp_path / "o" / "model.c").read_text()
    relu = result.graph.nodes[0].output
    assert f"TESSERA_AT(float, {plan.offsets[relu.name]}u)" in source
    assert "malloc" not in source and "static TESSERA_ALIGNED uint8_t tessera_arena[" in source
