"""`tessera finetune`: trains from an .npz, writes the ONNX whole and the report page or JSON."""

from __future__ import annotations

import json

import numpy as np
from conftest import TORCH, require

import tessera
from tessera.cli import main

torch = require("torch", TORCH)


def _model(tmp_path):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 4))
    graph = tessera.load(net.eval(), example_inputs=torch.zeros(1, 4, 4))
    path = tmp_path / "m.onnx"
    path.write_bytes(tessera.export_onnx(graph).SerializeToString())
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 64)
    x = rng.standard_normal((64, 1, 4, 4)).astype(np.float32) * 0.1
    x.reshape(64, -1)[np.arange(64), labels * 3] += 2.0
    np.savez(tmp_path / "data.npz", input=x, target=labels)
    return path, graph


def test_finetune_writes_the_trained_model_and_report(tmp_path, capsys):
    path, graph = _model(tmp_path)
    out, page = tmp_path / "out" / "ft.onnx", tmp_path / "out" / "report.html"
    code = main(["finetune", str(path), "--data", str(tmp_path / "data.npz"), "--epochs", "3", "--lr", "0.05",
                 "-o", str(out), "--report", str(page)])  # fmt: skip
    assert code == 0
    text = capsys.readouterr().out
    assert "accuracy on the training data" in text and f"wrote {out}" in text
    trained = tessera.load(str(out))
    assert {n: v.type for n, v in trained.constants.items()} == {n: v.type for n, v in graph.constants.items()}
    assert "<h1>finetune" in page.read_text()


def test_finetune_json_and_distillation(tmp_path, capsys):
    path, _ = _model(tmp_path)
    np.savez(tmp_path / "inputs.npz", input=np.load(tmp_path / "data.npz")["input"])
    code = main(["finetune", str(path), "--data", str(tmp_path / "inputs.npz"), "--teacher", str(path),
                 "-o", str(tmp_path / "d.onnx"), "--json"])  # fmt: skip
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["loss"] == "distill" and report["metric"] == "sqnr_db"


def test_finetune_errors_are_one_line(tmp_path, capsys):
    path, _ = _model(tmp_path)
    assert main(["finetune", str(path), "--data", str(path), "-o", str(tmp_path / "x.onnx")]) == 2
    assert "not an .npz of arrays" in capsys.readouterr().err
    np.savez(tmp_path / "inputs.npz", input=np.zeros((4, 1, 4, 4), np.float32))
    assert main(["finetune", str(path), "--data", str(tmp_path / "inputs.npz"), "-o", str(tmp_path / "x.onnx")]) == 2
    assert "no targets" in capsys.readouterr().err
    assert not (tmp_path / "x.onnx").exists()
