"""The memory-schedule pass (reorders, keeps numerics, reports) and `tessera schedule`."""

import json

import pytest
from _pass_helpers import random_graph, run_checked
from conftest import chain_graph

from tessera.cli import main
from tessera.passes.memory.model import model_profile
from tessera.passes.memory.schedule import SCHEDULERS


@pytest.mark.parametrize("method", list(SCHEDULERS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_scheduled_graph_computes_the_same_outputs(method: str, seed: int) -> None:
    g = random_graph(seed, size=16)
    before = model_profile(g).peak_bytes
    result = run_checked("memory-schedule", g, seed=seed, method=method, time_limit_s=2.0)
    report = result.report.to_dict()
    assert report["peak_before_bytes"] == before
    assert report["peak_bytes"] == model_profile(result.graph).peak_bytes <= before
    assert report["lower_bound_bytes"] <= report["peak_bytes"]
    assert report["peak_tensors"] and report["method"] == method


def test_ilp_reports_a_proven_optimum_and_a_gap() -> None:
    g = random_graph(3, size=14)
    report = run_checked("memory-schedule", g, method="ilp", inplace=True).report
    assert report.optimal and report.gap == 0.0 and report.status == "optimal"
    assert "peak_bytes: " in report.render_text()


def test_cli_schedule_prints_one_json_object(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    from tessera import export_onnx

    path = tmp_path / "chain.onnx"
    path.write_bytes(export_onnx(chain_graph()).SerializeToString())
    assert main(["schedule", str(path), "--method", "ilp", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    for key in ("nodes", "method", "peak_bytes", "lower_bound_bytes", "arena_bytes", "time_s", "optimal"):
        assert key in data
    assert data["nodes"] == 3 and data["optimal"] is True and data["peak_bytes"] == 72
    assert data["arena_bytes"] >= data["peak_bytes"]


def test_cli_schedule_bad_method_exits_2(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    from tessera import export_onnx

    path = tmp_path / "chain.onnx"
    path.write_bytes(export_onnx(chain_graph()).SerializeToString())
    assert main(["schedule", str(path), "--method", "magic"]) == 2
    assert "unknown scheduling method 'magic'" in capsys.readouterr().err
