"""The public API: load, run, compile, export_onnx, CompileResult."""

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import chain_graph
from frontends.onnx_builders import add_relu

import tessera
from tessera.cli import random_inputs
from tessera.errors import PassError, TargetError
from tessera.passes import get_pass


def test_compile_writes_report_and_runs(tmp_path: Path) -> None:
    result = tessera.compile(add_relu(), out_dir=tmp_path / "build")
    assert set(result.paths) == {"model", "graph", "report", "report_html"}
    assert all(p.is_file() for p in result.paths.values())
    report = json.loads(result.paths["report"].read_text())
    assert report["target"] == "reference" and report["passes"][0]["name"] == "canonicalize"
    x = np.ones((2, 4), np.float32)
    np.testing.assert_array_equal(result.run({"x": x})["y"], tessera.run(tessera.load(add_relu()), {"x": x})["y"])
    again = tessera.load(result.paths["model"])
    assert again.op_counts() == result.graph.op_counts()


def test_compile_replaces_its_own_output(tmp_path: Path) -> None:
    tessera.compile(add_relu(), out_dir=tmp_path / "b")
    tessera.compile(add_relu(), out_dir=tmp_path / "b")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b"]


def test_compile_does_not_touch_the_source_graph() -> None:
    graph = tessera.load(add_relu())
    text = str(graph)
    tessera.compile(graph, passes=["dce"])
    assert str(graph) == text


def test_passes_by_name_and_object() -> None:
    result = tessera.compile(add_relu(), passes=["dce", get_pass("fold-constants")])
    assert [r.name for r in result.reports] == ["dce", "fold-constants"]
    assert tessera.compile(add_relu(), passes=[]).reports == []


def test_unknown_target_and_pass_list_the_choices() -> None:
    with pytest.raises(TargetError, match=r"unknown target 'gpu'.*reference"):
        tessera.compile(add_relu(), target="gpu")
    with pytest.raises(PassError, match="canonicalize"):
        tessera.compile(add_relu(), passes=["no-such-pass"])


def test_light_model_by_name() -> None:
    graph = tessera.load("light:squeezenet")
    assert graph.inputs[0].shape == (1, 3, 224, 224)
    with pytest.raises(tessera.TesseraError, match="available: bvlc_alexnet"):
        tessera.load("light:nope")


def test_unknown_target_option_names_the_options() -> None:
    with pytest.raises(TargetError, match=r"target 'reference' has no option\(s\) threads"):
        tessera.compile(chain_graph(), target_options={"threads": 2})


def test_reference_run_rejects_options() -> None:
    result = tessera.compile(chain_graph())
    with pytest.raises(TargetError, match="takes no run options"):
        result.run(random_inputs(result.graph), on="qemu")
