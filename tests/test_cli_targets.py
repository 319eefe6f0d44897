"""The target side of the CLI: `tessera targets` (text and --json) from the option dataclasses, and
compile's target flags handed to the target as strings, its errors naming the option."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import chain_graph

from tessera.cli import main
from tessera.cli_targets import target_flags
from tessera.frontends.onnx_export import export_onnx


def test_targets_text_lists_every_option_with_type_default_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["targets"]) == 0
    out = capsys.readouterr().out
    assert "mcu: C99 project for microcontrollers" in out and "reference: numpy reference executor" in out
    assert "  ram_kb (float | None, default None): SRAM budget in KiB" in out
    assert "  inputs ('arena' | 'caller', default 'arena'):" in out
    assert "  threads (int | None, default None): worker threads at run time" in out
    assert "  (no options)" in out  # the reference target


def test_targets_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["targets", "--json"]) == 0
    data = {t["name"]: t for t in json.loads(capsys.readouterr().out)["targets"]}
    assert set(data) == {"cpu", "he", "mcu", "reference"}
    options = {o["name"]: o for o in data["mcu"]["options"]}
    assert options["inplace"] == {
        "name": "inplace",
        "type": "bool",
        "default": True,
        "help": options["inplace"]["help"],
    }
    assert options["planner"]["default"] == "best-fit" and data["reference"]["options"] == []
    assert {o["name"] for o in data["cpu"]["options"]} == {"tune", "tuning_db", "threads", "schedule"}


def test_the_target_flags_come_from_the_option_classes() -> None:
    flags = {t.flag: t.targets for t in target_flags()}
    assert flags == {
        "--flash-kb": ("mcu",),
        "--ram-kb": ("mcu",),
        "--threads": ("cpu",),
        "--tune": ("cpu",),
        "--tuning-db": ("cpu",),
    }


@pytest.fixture
def model(tmp_path: Path) -> Path:
    path = tmp_path / "chain.onnx"
    path.write_bytes(export_onnx(chain_graph()).SerializeToString())
    return path


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--target", "mcu", "--target-option", "bogus=1"], "target 'mcu' has no option(s) bogus"),
        (["--target", "mcu", "--ram-kb", "lots"], "target 'mcu' option ram_kb must be a number, got 'lots'"),
        (["--target", "mcu", "--target-option", "planner=tetris"], "planner must be one of"),
        (["--target", "mcu", "--target-option", "inplace=maybe"], "inplace must be true or false"),
        (["--target", "cpu", "--threads", "0"], "threads must be a positive integer"),
        (["--target", "reference", "--ram-kb", "64"], "target 'reference' has no option(s) ram_kb"),
        (["--target-option", "threads"], "KEY=VALUE"),
    ],
)
def test_bad_target_options_exit_2_naming_the_option(
    model: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compile", str(model), *argv]) == 2
    assert message in capsys.readouterr().err


def test_target_flags_reach_the_build(model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "o"
    argv = ["compile", str(model), "--target", "mcu", "--ram-kb", "64", "--target-option", "inplace=false"]
    assert main([*argv, "-o", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["built"]["ram_kb"] == 64 and data["built"]["inplace"] is False
    assert data["out_dir"] == str(out) and "64 KB SRAM" in (out / "link.ld").read_text()
