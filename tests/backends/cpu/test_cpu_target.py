"""The cpu target end to end: compile, run, save, reload without recompiling, threads, errors."""

import json

import numpy as np
import pytest
from _cpu_helpers import assert_cpu_matches_reference
from conftest import TVM, chain_graph, require

import tessera
from tessera.backends.cpu import load
from tessera.backends.cpu.lower import missing_ops, qualified_name, supported_ops
from tessera.cli import main
from tessera.errors import ExecutionError, TargetError, UnsupportedOpError


def test_chain_graph_matches_reference() -> None:
    assert_cpu_matches_reference(chain_graph())


def test_saved_library_reloads_with_same_outputs(tmp_path) -> None:
    require("tvm", TVM)
    out = tmp_path / "out"
    result = tessera.compile(chain_graph(), target="cpu", out_dir=out)
    assert {"library", "signature", "report"} <= set(result.paths)
    x = {"x": np.random.default_rng(3).standard_normal((2, 3)).astype(np.float32)}
    module = load(out)
    np.testing.assert_array_equal(module.run(x)["mul"], result.run(x)["mul"])
    signature = json.loads((out / "model.json").read_text())
    assert signature["inputs"] == [{"name": "x", "dtype": "float32", "shape": [2, 3]}]


def test_threads_option_sizes_the_pool() -> None:
    require("tvm", TVM)
    from tessera.backends.cpu.runtime import current_threads

    result = tessera.compile(chain_graph(), target="cpu", target_options={"threads": 1})
    x = {"x": np.ones((2, 3), np.float32)}
    result.run(x)
    assert current_threads() == 1
    result.run(x, threads=2)
    assert current_threads() == 2


def test_bad_inputs_and_options_are_tessera_errors(tmp_path) -> None:
    require("tvm", TVM)
    result = tessera.compile(chain_graph(), target="cpu")
    with pytest.raises(
        ExecutionError, match=r"input 'x' must be an np.ndarray of float32, shape \[2, 3\], got float32 \[3, 2\]"
    ):
        result.run({"x": np.ones((3, 2), np.float32)})
    with pytest.raises(ExecutionError, match="missing"):
        result.run({})
    with pytest.raises(TargetError, match="threads=N"):
        result.run({"x": np.ones((2, 3), np.float32)}, on="qemu")
    with pytest.raises(TargetError, match="tuning_db"):
        tessera.compile(chain_graph(), target="cpu", target_options={"tune": 4})
    with pytest.raises(TargetError, match="no saved cpu module"):
        load(tmp_path)


# The int8 ops of quantize-int8 (fixed-point requantization) have no TVM lowering yet: such a graph is
# refused by name (docs/cpu.md). Every other registered op lowers.
NOT_LOWERED = [
    "ai.tessera::BinarySign",
    "DequantizeLinear",
    "QuantizeLinear",
    "ai.tessera::QAdd",
    "ai.tessera::QAveragePool",
    "ai.tessera::QConv",
    "ai.tessera::QFullyConnected",
    "ai.tessera::QMatMul",
    "ai.tessera::QMul",
    "ai.tessera::Requantize",
]


def test_every_registered_op_but_int8_has_a_lowering() -> None:
    require("tvm", TVM)
    assert sorted(qualified_name(op) for op in missing_ops()) == sorted(NOT_LOWERED)
    assert "Conv" in supported_ops() and "ai.tessera::InsertSlice" in supported_ops()


@pytest.mark.parametrize("cut,grid", [("res", 2), ("dw2", 3)])
def test_patch_based_graph_runs_on_the_cpu_target(cut: str, grid: int) -> None:
    """The patch-based pass's graphs (InsertSlice with and without a dest) run and match the reference."""
    require("tvm", TVM)
    from _patch_cnn import inputs, small_cnn

    from tessera.passes.tiling import patch_graph

    patched = patch_graph(small_cnn(), cut, grid)
    assert patched.op_counts()["InsertSlice"] == grid * grid
    result = tessera.compile(patched, target="cpu", passes=[])
    for seed in range(2):
        feeds = inputs(patched, seed)
        want, got = tessera.run(patched, feeds), result.run(feeds)
        for k in want:
            np.testing.assert_allclose(got[k], want[k], rtol=1e-5, atol=1e-5)


def test_quantized_graph_is_refused_naming_the_int8_ops() -> None:
    require("tvm", TVM)
    rng = np.random.default_rng(0)
    calibration = [{"x": rng.standard_normal((2, 3)).astype(np.float32)} for _ in range(4)]
    q = tessera.quantize(chain_graph(), calibration)
    with pytest.raises(UnsupportedOpError, match=r"uses op\(s\) .*QuantizeLinear.* that the TVM lowering lacks"):
        tessera.compile(q.graph, target="cpu", passes=[])


def test_cli_compile_cpu_and_reload(tmp_path, capsys) -> None:
    require("tvm", TVM)
    out = tmp_path / "sq"
    assert main(["compile", "light:squeezenet", "--target", "cpu", "--threads", "2", "-o", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["target"] == "cpu"
    module = load(out)
    assert module.signature.threads == 2
    assert main(["compile", "light:squeezenet", "--target", "cpu", "--tune", "3"]) == 2
