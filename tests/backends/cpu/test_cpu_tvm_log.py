"""TVM's content-free save/load notices ("Warning: Scope Saving:" / "Scope Loaded:") are kept off the
user's terminal; any other line TVM writes to stderr still gets through; TESSERA_TVM_LOG=1 shows all."""

import os

import pytest
from conftest import TVM, chain_graph, require

import tessera
from tessera.backends.cpu import load
from tessera.backends.cpu.tvm_log import quiet_tvm


def test_saving_and_loading_a_module_prints_no_tvm_notices(tmp_path, capfd, monkeypatch) -> None:
    require("tvm", TVM)
    monkeypatch.delenv("TESSERA_TVM_LOG", raising=False)
    tessera.compile(chain_graph(), target="cpu", out_dir=tmp_path / "out")
    load(tmp_path / "out")
    assert "Scope" not in capfd.readouterr().err


def test_tessera_tvm_log_shows_them(tmp_path, capfd, monkeypatch) -> None:
    require("tvm", TVM)
    tessera.compile(chain_graph(), target="cpu", out_dir=tmp_path / "out")
    capfd.readouterr()
    monkeypatch.setenv("TESSERA_TVM_LOG", "1")
    load(tmp_path / "out")
    assert "Warning: Scope Loaded:" in capfd.readouterr().err


def test_other_stderr_lines_pass_through(capfd, monkeypatch) -> None:
    monkeypatch.delenv("TESSERA_TVM_LOG", raising=False)
    with quiet_tvm():
        os.write(2, b"[12:00:00] executable.cc:340: Warning: Scope Loaded:\n")
        os.write(2, b"[12:00:00] something.cc:1: Warning: a real problem\n")
    err = capfd.readouterr().err
    assert "a real problem" in err and "Scope Loaded" not in err


def test_lines_written_before_an_error_still_reach_stderr(capfd) -> None:
    with pytest.raises(RuntimeError), quiet_tvm():
        os.write(2, b"TVM error detail\n")
        raise RuntimeError("boom")
    assert "TVM error detail" in capfd.readouterr().err
