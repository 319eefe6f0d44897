"""The he target end to end on a small CNN (conv, depthwise stride 2, fc), packed by Cheetah and by
the dense packing: outputs equal the fixed-point reference exactly and are close to the float
reference; the graph's plan is used, or the target plans; what it writes, reports and refuses."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from _he_cnn import he_cnn, he_inputs
from conftest import SEAL, require

import tessera
from tessera.backends.he.fixed_point import fixed_point_reference
from tessera.backends.he.report import HeReport
from tessera.backends.he.seal_runtime import SealRuntime
from tessera.backends.reference import execute
from tessera.backends.targets import get_target
from tessera.errors import TargetError
from tessera.ir.graph import Graph
from tessera.passes.private.layers import linear_layers
from tessera.passes.private.layout import HeParams, HePlan
from tessera.passes.private.packings import plan_layer


@pytest.fixture(autouse=True)
def _seal() -> None:
    require("seal", SEAL)


def planned(graph: Graph, packing: str, params: HeParams | None = None) -> Graph:
    """`graph` with the plan he-pack would record (its defaults unless `params`)."""
    p = params or HeParams()
    graph.he_plan = HePlan(p, packing, {f.layer.node: plan_layer(f.layer, p, packing) for f in linear_layers(graph)})
    return graph


@pytest.mark.parametrize("packing", ["cheetah", "dense"])
def test_outputs_are_the_fixed_point_reference_exactly(packing: str) -> None:
    graph = planned(he_cnn(), packing)
    x = he_inputs(graph)
    result = tessera.compile(graph, target="he")
    got = result.run(x)
    want = fixed_point_reference(result.graph, result.graph.he_plan, x)
    ref = execute(result.graph, x)
    for name in ref:
        assert got[name].dtype == ref[name].dtype and np.array_equal(got[name], want[name])
        np.testing.assert_allclose(got[name], ref[name], atol=4e-3)  # three layers of 2^-13 roundings
    report = result.report(HeReport)
    assert report is not None and report.ran and not report.planned_here
    kinds = {r.node: (r.kind, r.packing) for r in report.layers}
    assert kinds == {"conv": ("conv", "cheetah"), "dw": ("depthwise", packing), "fc": ("fc", "cheetah")}
    for row in report.layers:  # SEAL's serialized sizes are the cost model's
        assert row.measured is not None and row.measured.figures.bytes_up == row.modelled.bytes_up
        assert row.measured.figures.bytes_down == row.modelled.bytes_down
        assert row.peak_bits is not None and row.peak_bits < 36
    total = report.total()
    assert total.input_cts == 3 and total.measured is not None and total.measured.server_s > 0
    assert "non-linear layers ran in the clear" in report.render_text()


def test_without_a_plan_the_target_plans_and_says_so() -> None:
    graph = he_cnn()
    result = tessera.compile(graph, target="he", target_options={"packing": "dense"})
    report = result.report(HeReport)
    assert report is not None and report.planned_here and not report.ran and report.packing == "dense"
    assert "the graph had no he_plan" in report.render_text()
    assert result.graph.he_plan is None  # the target does not edit the graph
    x = he_inputs(graph)
    assert np.array_equal(result.run(x)["fc"], fixed_point_reference(graph, result.artifact.plan, x)["fc"])


def test_writes_the_graph_and_the_plan(tmp_path: Path) -> None:
    result = tessera.compile(planned(he_cnn(), "dense"), target="he", out_dir=tmp_path / "out")
    assert {"graph", "plan"} <= set(result.paths)
    data = json.loads((tmp_path / "out" / "he_plan.json").read_text())
    assert data["params"] == {"n": 4096, "plain_bits": 37, "scale_bits": 12} and data["packing"] == "dense"
    dw = next(layer for layer in data["layers"] if layer["node"] == "dw")
    assert dw["packing"] == "dense" and dw["kind"] == "depthwise" and dw["input_ciphertexts"] == 1
    assert {"tile", "per_ct", "phases", "shared", "placement"} <= set(dw["tiling"])


def test_check_names_the_layer_seal_got_wrong(monkeypatch: pytest.MonkeyPatch) -> None:
    exchange = SealRuntime.exchange

    def off_by_one(self: SealRuntime, *args: object):  # the client's share of every coefficient + 1
        ex = exchange(self, *args)  # type: ignore[arg-type]
        ex.client[:] = np.mod(ex.client + 1, self.params.t)
        return ex

    monkeypatch.setattr(SealRuntime, "exchange", off_by_one)
    result = tessera.compile(planned(he_cnn(), "cheetah"), target="he")
    with pytest.raises(TargetError, match="layer 'conv': SEAL's cheetah round decodes"):
        result.run(he_inputs(result.graph))
    unchecked = tessera.compile(planned(he_cnn(), "cheetah"), target="he", target_options={"check": False})
    unchecked.run(he_inputs(unchecked.graph))  # wrong, but not looked at


def test_fixed_point_overflow_names_the_layer() -> None:
    graph = planned(he_cnn(), "cheetah")
    x = {k: v * 1e4 for k, v in he_inputs(graph).items()}  # 2^25-sized fixed-point activations
    with pytest.raises(TargetError, match=r"layer 'conv': its fixed-point output reaches .* would wrap mod t"):
        tessera.compile(graph, target="he").run(x)


@pytest.mark.parametrize(
    ("values", "match"),
    [
        ({"seed": -1}, "seed must be a non-negative integer"),
        ({"packing": "sparse"}, "packing must be one of"),
        ({"check": "maybe"}, "check must be true or false"),
        ({"noise": 1}, r"target 'he' has no option\(s\) noise"),
    ],
)
def test_bad_options_name_the_option(values: dict, match: str) -> None:
    with pytest.raises(TargetError, match=match):
        get_target("he").make_options(values)


def test_refusals() -> None:
    with pytest.raises(TargetError, match="he_plan packs 'cheetah' but option packing is 'dense'"):
        tessera.compile(planned(he_cnn(), "cheetah"), target="he", target_options={"packing": "dense"})
    result = tessera.compile(planned(he_cnn(), "cheetah"), target="he")
    with pytest.raises(TargetError, match="takes no run options"):
        result.run(he_inputs(result.graph), threads=2)
    with pytest.raises(TargetError, match="N = 4096 only"):
        tessera.compile(planned(he_cnn(), "cheetah", HeParams(n=8192)), target="he")
