"""`tessera demo`: the headline job runs end to end (zoo model -> int8 -> memory-schedule -> memory-plan
-> MCU C, built and run on the host, and on QEMU when installed) and is bit-exact with the reference."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import MCU_TOOLS, TORCH, require, require_tools

from tessera.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_demo_builds_and_runs_the_mcu_model_bit_exact(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    require("torch", TORCH)
    require_tools(["gcc", "make"], MCU_TOOLS)
    qemu = shutil.which("qemu-system-arm") is not None and shutil.which("arm-none-eabi-gcc") is not None
    out = tmp_path / "demo"
    assert main(["demo", "-o", str(out), "--resolution", "64", "--json"] + ([] if qemu else ["--no-qemu"])) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["model"] == "mcunet-vww" and report["host_bit_exact"] is True
    assert report["qemu_bit_exact"] is (True if qemu else None)
    names = [s["name"] for s in report["steps"]]
    assert names[1:4] == ["quantize-int8", "memory-schedule", "memory-plan"]
    assert Path(report["report_html"]) == out / "report.html" and (out / "report.html").is_file()
    assert (out / "model.c").is_file() and (out / "Makefile").is_file()
    assert 0 < report["arena_bytes"] < report["ram_bytes"] and report["flash_bytes"] > 0
    assert report["wall_s"] < 120


def test_demo_text_names_the_report_and_the_wall_time(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    require("torch", TORCH)
    require_tools(["gcc", "make"], MCU_TOOLS)
    assert main(["demo", "-o", str(tmp_path / "d"), "--resolution", "32", "--no-qemu"]) == 0
    text = capsys.readouterr().out
    assert "bit-exact with the reference executor" in text
    assert f"report: {tmp_path / 'd' / 'report.html'}" in text and "wall time" in text
    assert "QEMU Cortex-M4" in text and "skipped: --no-qemu" in text
