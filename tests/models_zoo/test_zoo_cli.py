"""`tessera zoo list | info | export`."""

import json

import pytest
from conftest import TORCH, require

import tessera
from tessera import zoo
from tessera.cli import main
from tessera.models_zoo.zoo_cli import parse_options


def test_list_prints_every_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["zoo", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == zoo.list()


def test_list_json_has_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["zoo", "list", "--json"]) == 0
    models = {m["name"]: m for m in json.loads(capsys.readouterr().out)["models"]}
    assert models["randwire"]["options"]["nodes"] == 32 and models["randwire"]["options"]["seed"] == 0
    assert models["srresnet"]["choices"] == {"scale": [2, 4]}


def test_info(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["zoo", "info", "bert-tiny"]) == 0
    out = capsys.readouterr().out
    assert "seq_len=128" in out and "vocab=30522" in out


def test_unknown_model_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["zoo", "info", "alexnet"]) == 2
    assert "available: amoebanet-cifar" in capsys.readouterr().err


def test_parse_options() -> None:
    assert parse_options(["width=0.35", "resolution=128", "dataset=cifar", "flag=true"]) == {
        "width": 0.35,
        "resolution": 128,
        "dataset": "cifar",
        "flag": True,
    }
    with pytest.raises(tessera.TesseraError, match="KEY=VALUE"):
        parse_options(["width"])


def test_export_then_load(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    require("torch", TORCH)
    out = tmp_path / "vww.onnx"
    assert main(["zoo", "export", "mcunet-vww", "--option", "resolution=48", "-o", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["inputs"] == {"image": [1, 3, 48, 48]} and result["options"]["resolution"] == 48
    assert tessera.load(str(out)).inputs[0].shape == (1, 3, 48, 48)


def test_export_bad_option_exits_2(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    require("torch", TORCH)
    assert main(["zoo", "export", "mobilenetv2", "--option", "width=wide", "-o", str(tmp_path / "m.onnx")]) == 2
    assert "width='wide' must be float" in capsys.readouterr().err
