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
