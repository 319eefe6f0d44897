"""The pass side of the CLI: --pass-option converted by option type, `tessera passes`, `tessera schedule`."""

from __future__ import annotations

import json
from pathlib import Path

import onnx
import pytest
from conftest import chain_graph
from frontends.onnx_builders import add_relu

from tessera import export_onnx
from tessera.cli import main
from tessera.cli_passes import configured_passes
from tessera.errors import PassError, TesseraError
from tessera.options import cli_fields
from tessera.passes import available_passes
from tessera.passes.canonicalize.pipeline import Canonicalize
from tessera.passes.quantize.int8 import QuantizeInt8
from tessera.passes.registry import _PASSES
from tessera.passes.tiling.patch import PatchBased


def test_pass_option_converts_int_float_bool_and_none() -> None:
    specs = ["patch-based.grid=3", "patch-based.max_mac_overhead=0.5", "patch-based.count_inputs=false"]
    [built] = configured_passes(["patch-based"], specs)
    assert built == PatchBased(grid=3, max_mac_overhead=0.5, count_inputs=False)
    [built] = configured_passes(["patch-based"], ["patch-based.max_mac_overhead=none", "patch-based.cut=None"])
    assert built == PatchBased(max_mac_overhead=None, cut=None)


def test_pass_option_keeps_text_for_a_str_option() -> None:
    [built] = configured_passes(["patch-based"], ["patch-based.cut=123"])  # a tensor named 123: no guessing
    assert isinstance(built, PatchBased) and built.cut == "123"


def test_pass_option_converts_literal_and_tuple() -> None:
    names = ["canonicalize", "quantize-int8"]
    specs = ["canonicalize.steps=dce,fold-constants", "quantize-int8.int8_io=inputs", "quantize-int8.seed=7"]
    canon, quant = configured_passes(names, specs)
    assert canon == Canonicalize(steps=("dce", "fold-constants"))
    assert isinstance(quant, QuantizeInt8) and (quant.int8_io, quant.seed) == ("inputs", 7)
    [quant] = configured_passes(["quantize-int8"], ["quantize-int8.int8_io=true"])
    assert isinstance(quant, QuantizeInt8) and quant.int8_io is True


def test_pass_option_errors_name_the_option() -> None:
    with pytest.raises(PassError, match=r"pass 'patch-based' option grid must be an integer, got '2\.5'"):
        configured_passes(["patch-based"], ["patch-based.grid=2.5"])
    with pytest.raises(PassError, match=r"option count_inputs must be true or false, got 'maybe'$"):
        configured_passes(["patch-based"], ["patch-based.count-inputs=maybe"])
    with pytest.raises(PassError, match=r"option int8_io must be bool \| 'inputs' \| 'outputs', got 'both'"):
        configured_passes(["quantize-int8"], ["quantize-int8.int8_io=both"])
    with pytest.raises(PassError, match="patch-based: grid must be >= 1"):
        configured_passes(["patch-based"], ["patch-based.grid=-2"])
    with pytest.raises(TesseraError, match=r"must look like PASS\.KEY=VALUE, e\.g\. patch-based\.grid=VALUE"):
        configured_passes(["patch-based"], ["patch-based.grid"])
    with pytest.raises(TesseraError, match="PASS one of the passes run: dce"):
        configured_passes(["dce"], ["patch-based.grid=2"])


def test_pass_option_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "m.onnx"
    onnx.save(add_relu(), path)
    argv = ["compile", str(path), "--passes", "memory-plan", "--pass-option", "memory-plan.alignment=32", "--json"]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)["passes"][0]["report"]
    assert report["alignment"] == 32
    assert main(["compile", str(path), "--passes", "memory-plan", "--pass-option", "memory-plan.method=tetris"]) == 2
    assert (
        "memory-plan: unknown method 'tetris'; available: best-fit, cp-sat, greedy-by-size" in capsys.readouterr().err
    )


def test_passes_text_lists_every_pass_and_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["passes"]) == 0
    out = capsys.readouterr().out
    heads = [line.split(":")[0] for line in out.splitlines() if line and not line.startswith(" ")]
    assert heads[:-1] == available_passes()  # the last line says how to set an option
    assert "  max_rounds (int, default 10): " in out
    assert "  max_mac_overhead (float | None, default none): " in out
    assert "  int8_io (bool | 'inputs' | 'outputs', default false): " in out
    assert "\n  calibration (" not in out  # a typed input of compile, not a CLI option


def test_passes_json_lists_every_pass_with_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["passes", "--json"]) == 0
    passes = json.loads(capsys.readouterr().out)["passes"]
    assert [p["name"] for p in passes] == available_passes()
    for p in passes:
        assert p["description"]
        assert [o["name"] for o in p["options"]] == [f.name for f in cli_fields(_PASSES[p["name"]])]
    canonicalize = next(p for p in passes if p["name"] == "canonicalize")
    steps = canonicalize["options"][0]
    assert steps["type"] == "list of str" and steps["default"][0] == "dce" and steps["help"]
    defaults = {o["name"]: o["default"] for o in next(p for p in passes if p["name"] == "patch-based")["options"]}
    assert defaults == {f.name: f.default for f in cli_fields(PatchBased)}


@pytest.fixture
def chain_path(tmp_path: Path) -> Path:
    path = tmp_path / "chain.onnx"
    path.write_bytes(export_onnx(chain_graph()).SerializeToString())
    return path


def test_schedule_text_is_readable(chain_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedule", str(chain_path), "--method", "dp", "--time-limit", "5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("chain: 3 nodes") and "method dp, in-place off" in lines[0]
    assert lines[1] == "peak         72 B  (lower bound 72 B: optimal)"
    assert lines[3].startswith("arena        ") and "best-fit" in lines[3]
    assert lines[4] == "order        add, relu, mul"


def test_schedule_json_and_checked_flags(chain_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedule", str(chain_path), "--method", "greedy", "--inplace", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["method"], data["inplace"], data["order"]) == ("greedy", True, ["add", "relu", "mul"])
    assert set(data["arenas"]) == {"best-fit", "cp-sat", "greedy-by-size"}
    assert main(["schedule", str(chain_path), "--time-limit", "soon"]) == 2
    assert "option time_limit_s must be a number, got 'soon'" in capsys.readouterr().err
    assert main(["schedule", str(chain_path), "--time-limit", "-1"]) == 2
    assert "time_limit_s must be > 0 seconds" in capsys.readouterr().err
