"""Shared checks for the cpu target: skip without TVM (fail when CI=true), and compare a model's
cpu-target outputs with the reference executor's on seeded random inputs.

The zoo tests are one parametrization over `assert_cpu_matches_reference`, e.g.
    @pytest.mark.parametrize("name", ZOO_NAMES)
    def test_zoo_cpu(name): assert_cpu_matches_reference(tessera.load(m.module, example_inputs=m.example_inputs))
"""

from __future__ import annotations

from typing import Any

import numpy as np
from conftest import TVM, require

import tessera
from tessera.cli import random_inputs


def assert_cpu_matches_reference(
    source: Any, seed: int = 0, rtol: float = 1e-4, atol: float = 1e-5, **compile_args: Any
) -> tessera.CompileResult:
    """Compile `source` for the cpu target and check every output against the reference executor."""
    require("tvm", TVM)
    result = tessera.compile(source, target="cpu", **compile_args)
    inputs = random_inputs(result.graph, seed)
    want = tessera.run(result.graph, inputs)
    got = result.run(inputs)
    assert set(got) == set(want)
    for name, ref in want.items():
        assert got[name].dtype == ref.dtype, name
        assert got[name].shape == ref.shape, name
        if ref.dtype.kind == "f":
            scale = max(1.0, float(np.abs(ref).max()))
            np.testing.assert_allclose(got[name], ref, rtol=rtol, atol=atol * scale, err_msg=name)
        else:
            np.testing.assert_array_equal(got[name], ref, err_msg=name)
    return result
