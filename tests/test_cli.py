"""The `tessera` command line, run in-process through tessera.cli.main."""

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from frontends.onnx_builders import add_relu

from tessera.cli import main


@pytest.fixture
def model_path(tmp_path: Path) -> Path:
    path = tmp_path / "m.onnx"
    onnx.save(add_relu(), path)
    return path


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_inspect(model_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "inspect", str(model_path))
    assert data["op_counts"] == {"Add": 1, "Relu": 1} and data["params"] == 4 and data["macs"] == 8
    assert main(["inspect", str(model_path)]) == 0
    assert "parameters 4" in capsys.readouterr().out


def test_run_with_inputs_file(model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    np.savez(tmp_path / "in.npz", x=np.full((2, 4), -5.0, np.float32))
    data = run_json(
        capsys, "run", str(model_path), "--inputs", str(tmp_path / "in.npz"), "--save", str(tmp_path / "out.npz")
    )
    assert data["outputs"]["y"]["max"] == 0.0
    assert np.load(tmp_path / "out.npz")["y"].shape == (2, 4)


def test_compile(model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "compile", str(model_path), "-o", str(tmp_path / "out"), "--passes", "dce")
    assert data["passes"][0]["name"] == "dce"
    assert (tmp_path / "out" / "report.json").is_file()


def test_errors_exit_2_with_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(tmp_path / "missing.onnx")]) == 2
    assert "no such model file" in capsys.readouterr().err
    assert main(["inspect", str(tmp_path / "missing.onnx"), "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["error"] == "ModelLoadError"
    assert main(["inspect", "x.onnx", "--input-shape", "oops"]) == 2
    assert "NAME=D0,D1" in capsys.readouterr().err


def test_targets_lists_reference(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["targets"]) == 0
    assert "reference:" in capsys.readouterr().out


def test_bad_target_option_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compile", "light:squeezenet", "--target-option", "threads"]) == 2
    assert "KEY=VALUE" in capsys.readouterr().err


def test_a_folder_as_the_model_names_its_onnx_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(tmp_path)]) == 2
    assert f"{tmp_path} is a folder, not an ONNX model file, and holds no .onnx file" in capsys.readouterr().err
    onnx.save(add_relu(), tmp_path / "m.onnx")
    assert main(["inspect", str(tmp_path) + "/"]) == 2
    assert f"is a folder, not an ONNX model file; did you mean {tmp_path / 'm.onnx'}?" in capsys.readouterr().err
    onnx.save(add_relu(), tmp_path / "n.onnx")
    assert main(["run", str(tmp_path)]) == 2
    assert f"did you mean one of {tmp_path / 'm.onnx'}, {tmp_path / 'n.onnx'}?" in capsys.readouterr().err


def test_run_save_into_a_folder_or_a_new_one(model_path: Path, tmp_path: Path, capsys) -> None:
    assert run_json(capsys, "run", str(model_path), "--save", str(tmp_path))["saved"] == str(tmp_path / "m.outputs.npz")
    assert np.load(tmp_path / "m.outputs.npz")["y"].shape == (2, 4)
    assert main(["run", str(model_path), "--save", str(tmp_path / "new" / "deep") + "/"]) == 0
    assert (tmp_path / "new" / "deep" / "m.outputs.npz").is_file()
    assert main(["run", str(model_path), "--save", str(tmp_path / "plain")]) == 0  # numpy's rule: .npz added
    assert np.load(tmp_path / "plain.npz")["y"].shape == (2, 4)
    assert capsys.readouterr().out.endswith(f"wrote {tmp_path / 'plain.npz'}\n")


def test_run_save_to_an_unwritable_path_is_a_clear_error(model_path: Path, tmp_path: Path, capsys) -> None:
    (tmp_path / "afile").write_text("in the way")
    assert main(["run", str(model_path), "--save", str(tmp_path / "afile" / "out.npz")]) == 2
    err = capsys.readouterr().err
    assert f"--save {tmp_path / 'afile' / 'out.npz'}: cannot create the folder {tmp_path / 'afile'}" in err
    assert "choose another path" in err and "Traceback" not in err
    (tmp_path / "dir" / "m.outputs.npz").mkdir(parents=True)  # the default name inside is taken by a folder
    assert main(["run", str(model_path), "--save", str(tmp_path / "dir")]) == 2
    assert f"{tmp_path / 'dir' / 'm.outputs.npz'} is a folder; give a file name" in capsys.readouterr().err


def test_compile_out_under_a_file_is_a_clear_error(model_path: Path, tmp_path: Path, capsys) -> None:
    (tmp_path / "afile").write_text("in the way")
    assert main(["compile", str(model_path), "-o", str(tmp_path / "afile" / "out")]) == 2
    assert f"cannot write into {tmp_path / 'afile'}" in capsys.readouterr().err
