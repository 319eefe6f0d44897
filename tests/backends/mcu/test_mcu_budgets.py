"""Budgets and refusals: a model over its RAM or flash budget is refused before any C is written, with
the numbers that explain it; ops the backend lacks are listed in one error; the linker script catches
an arena too big for the part; the CLI flags map to the target options."""

import numpy as np
import pytest
from _mcu_helpers import QEMU_TOOLS, const, f32, node, random_inputs
from conftest import MCU_TOOLS, require_tools

import tessera
from tessera.cli import main as cli_main
from tessera.errors import TargetError
from tessera.frontends.onnx_export import export_onnx
from tessera.ir import Graph


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
    assert "ram_kb=256" in text and "524288 B" in text and "liveness peak" in text
    assert "big_relu" in text and "memory-schedule" in text
    assert "'big_relu' = 'add_one' (262144 B, one slot shared in place)" in text
    assert not out.exists()


def test_over_flash_budget_is_refused() -> None:
    g = Graph("heavy")
    x = g.add_input("x", f32((1, 512)))
    g.outputs.append(node(g, "MatMul", [x, const(g, "w", np.zeros((512, 512)))]))
    with pytest.raises(TargetError, match=r"flash_kb=512 .*1048576 B"):
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


def test_arena_over_linker_ram_fails_at_link_time() -> None:
    require_tools(QEMU_TOOLS, MCU_TOOLS)
    result = tessera.compile(wide_graph(40 * 1024), target="mcu")  # 320 KiB arena, no budget given
    assert result.run(random_inputs(result.graph))  # fine on the host
    with pytest.raises(TargetError, match="do not fit the linker script"):
        result.run(random_inputs(result.graph), on="qemu")


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
