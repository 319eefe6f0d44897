"""`tessera binarize` and `tessera.binarize`: bit-packed output equal to the float form, training by
distillation, binarize in a compile pipeline with --calibration, and one-line errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from conftest import TORCH, require

import tessera
from tessera.cli import main
from tessera.ir.interpreter import execute

sys.path.insert(0, str(Path(__file__).parent / "passes"))
from test_binarize import cnn


def _files(tmp_path: Path) -> tuple[Path, Path]:
    model, cal = tmp_path / "cnn.onnx", tmp_path / "cal.npz"
    model.write_bytes(tessera.export_onnx(cnn()).SerializeToString())
    np.savez(cal, image=np.random.default_rng(1).standard_normal((4, 1, 3, 12, 12)).astype(np.float32))
    return model, cal


def test_binarize_writes_the_packed_model(tmp_path, capsys):
    model, cal = _files(tmp_path)
    out = tmp_path / "out" / "b.onnx"
    assert main(["binarize", str(model), "--scaling", "bireal", "--calibration", str(cal), "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "scaling: bireal; 4 layers binarized" in text and "packed: 4" in text and f"wrote {out}" in text
    packed = tessera.load(str(out))
    assert packed.op_counts()["BinaryConv"] == 4 and "BinarySign" not in packed.op_counts()
    float_form = tessera.binarize(cnn(), scaling="bireal", pack=False).graph
    x = {"image": np.load(cal)["image"][0]}
    assert np.array_equal(execute(packed, x)["tail"], execute(float_form, x)["tail"])


def test_binarize_json_layers_and_training(tmp_path, capsys):
    require("torch", TORCH)
    model, cal = _files(tmp_path)
    out = tmp_path / "f.onnx"
    code = main(["binarize", str(model), "--layers", "body*", "--train-data", str(cal), "--epochs", "2",
                 "--json", "-o", str(out)])  # fmt: skip
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert [x["name"] for x in report["binarize"]["layers"]] == ["body1", "body2"] and report["pack"]["packed"] == 2
    assert report["binarize"]["inputs"].startswith("RANDOM")
    assert report["train"]["loss"] == "distill" and len(report["train"]["loss_per_epoch"]) == 2
    assert tessera.load(str(out)).op_counts()["BinaryConv"] == 2


def test_compile_pipeline_takes_binarize_and_calibration(tmp_path, capsys):
    model, cal = _files(tmp_path)
    passes = "canonicalize,binarize,canonicalize,pack-binary"
    code = main(["compile", str(model), "--passes", passes, "--pass-option", "binarize.scaling=xnor",
                 "--calibration", str(cal), "--json"])  # fmt: skip
    assert code == 0
    records = {r["name"]: r for r in json.loads(capsys.readouterr().out)["passes"]}
    assert records["binarize"]["report"]["inputs"] == "user data" and records["pack-binary"]["report"]["packed"] == 4


def test_errors_are_one_line(tmp_path, capsys):
    model, _ = _files(tmp_path)
    assert main(["binarize", str(model), "--layers", "depthwise", "-o", str(tmp_path / "x.onnx")]) == 2
    assert "'depthwise' cannot be binarized" in capsys.readouterr().err
    assert main(["compile", str(model), "--calibration", str(model)]) == 2
    assert "--passes naming binarize" in capsys.readouterr().err
    assert not (tmp_path / "x.onnx").exists()
