"""The CLI route to patch-based int8 on the MCU target: quantize-int8 named in --passes runs before
patch-based; --target-option inputs=caller reaches the generated model.h."""

import json
from pathlib import Path

import numpy as np
import pytest
from _patch_cnn import small_cnn

import tessera
from tessera.cli import main


def test_cli_quantize_then_patch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    graph = small_cnn(24, 24, width=64)
    model = tmp_path / "cnn.onnx"
    model.write_bytes(tessera.export_onnx(graph).SerializeToString())
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "cal.npz", image=rng.standard_normal((4, 1, 3, 24, 24)).astype(np.float32))
    argv = ["compile", str(model), "--quantize", "int8", "--calibration", str(tmp_path / "cal.npz"),
            "--passes", "canonicalize,quantize-int8,patch-based", "--target", "mcu", "--target-option", "inputs=caller",
            "-o", str(tmp_path / "out"), "--json"]  # fmt: skip
    assert main(argv) == 0
    records = json.loads(capsys.readouterr().out)["passes"]
    assert [r["name"] for r in records] == ["canonicalize", "quantize-int8", "patch-based"]
    report = records[-1]["report"]
    assert records[-1]["modified"] and report["grid"] in (2, 3, 4)
    assert report["arena_after_bytes"] < report["arena_before_bytes"]
    header = (tmp_path / "out" / "model.h").read_text()
    assert "#define TESSERA_MODEL_CALLER_INPUTS 1" in header


def test_cli_pass_option_reaches_the_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = tmp_path / "cnn.onnx"
    model.write_bytes(tessera.export_onnx(small_cnn(24, 24, width=64)).SerializeToString())
    argv = ["compile", str(model), "--passes", "canonicalize,patch-based", "--pass-option", "patch-based.grid=3",
            "--pass-option", "patch-based.cut=res", "--pass-option", "patch-based.inplace=false",  # reference target
            "--json"]  # fmt: skip
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)["passes"][-1]["report"]
    assert (report["grid"], report["cut"]) == (3, "res")


def test_cli_pass_option_errors_name_the_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = tmp_path / "cnn.onnx"
    model.write_bytes(tessera.export_onnx(small_cnn(24, 24, width=64)).SerializeToString())
    assert main(["compile", str(model), "--pass-option", "patch-based.grid=3"]) == 2
    assert "PASS.KEY=VALUE with PASS one of the passes run: canonicalize" in capsys.readouterr().err
    argv = ["compile", str(model), "--passes", "patch-based", "--pass-option", "patch-based.gird=3"]
    assert main(argv) == 2
    assert "no option(s) gird" in capsys.readouterr().err
