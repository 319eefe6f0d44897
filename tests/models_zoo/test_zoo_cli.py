"""`tessera zoo list | info | export`."""

import json
import os

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


def test_export_into_a_folder_writes_name_onnx(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    require("torch", TORCH)
    argv = ["zoo", "export", "mcunet-vww", "--option", "resolution=48", "-o", str(tmp_path), "--json"]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["file"] == str(tmp_path / "mcunet-vww.onnx")
    assert tessera.load(str(tmp_path / "mcunet-vww.onnx")).inputs[0].shape == (1, 3, 48, 48)
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no partial file left


@pytest.mark.parametrize("where", ["under a file", "a folder inside taken"])
def test_export_to_an_unwritable_path_fails_before_exporting(tmp_path, where: str, capsys) -> None:
    require("torch", TORCH)
    (tmp_path / "afile").write_text("in the way")
    (tmp_path / "dir" / "resnet18.onnx").mkdir(parents=True)
    out = tmp_path / "afile" / "m.onnx" if where == "under a file" else tmp_path / "dir"
    assert main(["zoo", "export", "resnet18", "-o", str(out)]) == 2  # fails fast: the path is checked first
    err = capsys.readouterr().err
    assert err.startswith(f"tessera: error: -o {out}: ") and "Traceback" not in err
    assert ("cannot create the folder" if where == "under a file" else "is a folder; give a file name") in err


def test_the_api_export_takes_a_folder_too(tmp_path) -> None:
    require("torch", TORCH)
    zoo.export_onnx(zoo.get("mcunet-vww", resolution=48), f"{tmp_path}/new/")
    written = tmp_path / "new" / "mcunet-vww.onnx"
    umask = os.umask(0)
    os.umask(umask)
    assert written.stat().st_mode & 0o777 == 0o666 & ~umask  # as a plain open() makes it
