"""The API checks its arguments' types: a wrong one is an ArgumentError (a TesseraError and a
TypeError) that names the function, the argument, what it takes, what it got and a call that works."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from conftest import chain_graph
from frontends.onnx_builders import add_relu

import tessera
from tessera.errors import ArgumentError, ExecutionError, PassError, TesseraError

X = np.ones((2, 3), np.float32)

# call -> what the message says
WRONG: list[tuple[str, Any, str]] = [
    (
        "run a path",
        lambda: tessera.run("m.onnx", {"x": X}),
        r"^tessera.run: argument graph must be a tessera Graph, got str 'm.onnx'; "
        r"write tessera.run\(tessera.load\('m.onnx'\), inputs\)$",
    ),
    ("run a model proto", lambda: tessera.run(add_relu(), {}), r"tessera.run: argument graph .* got ModelProto"),
    ("load a number", lambda: tessera.load(3), r"^tessera.load: argument source must be an ONNX path, .*, got int 3"),
    (
        "load shapes as a list",
        lambda: tessera.load(add_relu(), [1, 3]),
        r"argument input_shapes must be a dict \{input name: shape\} or None, got list \[1, 3\]; write input_shapes=",
    ),
    ("cut at a string", lambda: tessera.load(add_relu(), outputs="y"), r"argument outputs .* write outputs=\['y'\]$"),
    ("compile a number", lambda: tessera.compile(1.5), r"^tessera.compile: argument source must be"),
    ("target not a str", lambda: tessera.compile(chain_graph(), target=None), r"argument target must be a target name"),
    (
        "passes a set",
        lambda: tessera.compile(chain_graph(), passes={"fold"}),
        r"argument passes must be a list of pass",
    ),
    (
        "target_options a list",
        lambda: tessera.compile(chain_graph(), target_options=["ram_kb=2"]),
        r"argument target_options must be a dict \{option: value\} or None, got list \['ram_kb=2'\]",
    ),
    ("out_dir a number", lambda: tessera.compile(chain_graph(), out_dir=3), r"argument out_dir must be a folder path"),
    (
        "calibration one dict",
        lambda: tessera.compile(chain_graph(), calibration={"x": X}),
        r"argument calibration must be an iterable of \{input name: array\} dicts, "
        r"got dict with keys \['x'\]; write calibration=\[",
    ),
    (
        "calibration of arrays",
        lambda: tessera.quantize(chain_graph(), [X, X]),
        r"^tessera.quantize: argument calibration .* but item 0 is an np.ndarray of float32 \[2, 3\]",
    ),
    ("quantize a number", lambda: tessera.quantize(7, []), r"^tessera.quantize: argument source must be"),
    ("export a path", lambda: tessera.export_onnx("m.onnx"), r"export_onnx\(tessera.load\('m.onnx'\)\)$"),
]


@pytest.mark.parametrize(("case", "call", "match"), WRONG, ids=[w[0] for w in WRONG])
def test_wrong_argument_types_are_named(case: str, call: Any, match: str) -> None:
    with pytest.raises(ArgumentError, match=match) as err:
        call()
    assert isinstance(err.value, TesseraError) and isinstance(err.value, TypeError)


def test_run_with_an_array_for_inputs_names_the_dict() -> None:
    with pytest.raises(ExecutionError, match=r"inputs must be a dict \{input name: np.ndarray\}.*pass \{'x': array\}"):
        tessera.run(chain_graph(), X)


def test_a_passes_string_still_names_the_list() -> None:
    with pytest.raises(PassError, match=r"write passes=\['canonicalize', 'fold'\]"):
        tessera.compile(chain_graph(), passes="canonicalize,fold")


def test_right_types_still_work() -> None:
    out = tessera.compile(chain_graph(), passes=("canonicalize",), target_options={}).run({"x": X})
    np.testing.assert_array_equal(out["mul"], tessera.run(chain_graph(), {"x": X})["mul"])
    samples = ({"x": np.full((2, 3), v, np.float32)} for v in (-1.0, 1.0))  # a generator is an iterable
    assert tessera.quantize(chain_graph(), samples).report is not None
