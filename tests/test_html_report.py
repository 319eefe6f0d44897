"""report.html: self-contained, escaped, with the memory plot (or a note without matplotlib)."""

import base64
import dataclasses
import re
import sys
from pathlib import Path

import pytest
from conftest import PLOTS, chain_graph, require

import tessera
from tessera.ir import DType, Graph, TensorType
from tessera.ir.ops import lookup
from tessera.reports import render_html


def hostile_graph() -> Graph:
    g = Graph("<script>alert('model')</script>")
    x = g.add_input("<img src=x onerror=alert(1)>", TensorType(DType.FLOAT32, (4, 8)))
    y = g.add_node(lookup("Relu"), [x], name="</table><b>node</b>").output
    g.outputs.append(g.add_node(lookup("Sigmoid"), [y], name="s").output)
    return g


def test_compile_writes_a_self_contained_report(tmp_path: Path) -> None:
    require("matplotlib", PLOTS)
    out = tmp_path / "build"
    result = tessera.compile(chain_graph(), passes=["canonicalize", "memory-plan"], out_dir=out)
    assert result.paths["report_html"] == out / "report.html"
    html = (out / "report.html").read_text()
    for text in ["Tessera report: chain for reference", "Passes", "canonicalize", "memory-plan", "arena_bytes"]:
        assert text in html
    assert "weights + arena" in html and "1.333 x peak" in html  # 96 B arena over a 72 B peak
    assert "http://" not in html and "https://" not in html  # no external assets
    sources = re.findall(r'src="([^"]*)"', html)
    assert len(sources) == 1 and sources[0].startswith("data:image/png;base64,")
    png = base64.b64decode(sources[0].removeprefix("data:image/png;base64,"))
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000
    assert "4 tensor offsets" in html and "arena layout" not in html  # the layout title is in the PNG


def test_model_names_are_escaped() -> None:
    result = tessera.compile(hostile_graph(), passes=["memory-plan"])
    html = render_html(result)
    assert "<script>" not in html and "<img src=x" not in html and "</table><b>" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_without_matplotlib_the_report_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import raises ImportError
    html = render_html(tessera.compile(chain_graph(), passes=["memory-plan"]))
    assert "The memory plot needs matplotlib" in html and "data:image/png" not in html
    assert "live tensors at the peak" in html


def test_no_plan_and_stale_plan_are_explained() -> None:
    result = tessera.compile(chain_graph(), passes=[])
    html = render_html(result)
    assert "not planned: add the memory-plan pass" in html and "No arena plan" in html
    planned = tessera.compile(chain_graph(), passes=["memory-plan"])
    record = planned.reports[0]
    broken = dataclasses.replace(record.report, offsets={k: 0 for k in record.report.offsets})
    planned.reports[0] = dataclasses.replace(record, report=broken)
    assert "no longer fits" in render_html(planned)
