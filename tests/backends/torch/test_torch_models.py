"""Whole models through tessera.to_torch against the reference executor: every zoo model and ONNX
light model in float, and int8 zoo CNNs bit for bit.

Single ops agree within 1e-5 relative (the family tests); over a whole network the float32 rounding
of differently ordered sums adds up, so models are held to 1e-4 of the output's magnitude, the bar
eager PyTorch meets against the reference (tests/models_zoo/test_zoo_numerics.py). Measured: at most
1.2e-5 (inception, mobilenetv2), 2.0e-5 on vgg19's probabilities."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TORCH, require

import tessera
from tessera import zoo
from tessera.models_zoo.light import NAMES, randomized_light_model
from tests.models_zoo.zoo_testing import CASES, case_id, relative_error, single_threaded_torch

torch = require("torch", TORCH)
MODEL_RTOL = 1e-4
BIG = {"bvlc_alexnet", "vgg19", "zfnet512"}  # large fully connected layers: seconds to load each


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    yield from single_threaded_torch(torch)


def module_outputs(graph: tessera.Graph, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    with torch.no_grad():
        return {k: v.numpy() for k, v in tessera.to_torch(graph)(**feeds).items()}


@pytest.mark.parametrize(("name", "options"), CASES, ids=[case_id(n, o) for n, o in CASES])
def test_zoo_model_matches_the_reference(name: str, options: dict) -> None:
    model = zoo.get(name, **options)
    graph = tessera.load(zoo.export_onnx(model))
    feeds = model.sample_inputs(1)[0]
    want = tessera.run(graph, feeds)
    got = module_outputs(graph, feeds)
    for key, ref in want.items():
        assert got[key].dtype == ref.dtype and got[key].shape == ref.shape
        error = relative_error(got[key], ref)
        assert error <= MODEL_RTOL, f"{name}: {key} differs by {error:.2e}"


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in BIG else n for n in NAMES])
def test_light_model_matches_the_reference(name: str) -> None:
    graph = tessera.load(randomized_light_model(name, 0))
    (x,) = graph.inputs
    feeds = {x.name: np.random.default_rng(1).standard_normal(x.shape).astype(np.float32)}
    want = tessera.run(graph, feeds)
    got = module_outputs(graph, feeds)
    for key, ref in want.items():
        error = relative_error(got[key], ref)
        assert error <= MODEL_RTOL, f"{name}: {key} differs by {error:.2e}"


INT8 = [("mcunet-vww", {"resolution": 64}), ("mobilenetv2", {"width": 0.35, "resolution": 64})]


@pytest.mark.parametrize(("name", "options"), INT8, ids=[case_id(n, o) for n, o in INT8])
@pytest.mark.parametrize("int8_io", [False, True])
def test_int8_zoo_model_is_bit_exact(name: str, options: dict, int8_io: bool) -> None:
    model = zoo.get(name, **options)
    graph = tessera.load(zoo.export_onnx(model))
    quantized = tessera.quantize(graph, model.sample_inputs(4), int8_io=int8_io).graph
    rng = np.random.default_rng(2)
    feeds = {}
    for v in quantized.inputs:
        if v.dtype.is_float:
            feeds[v.name] = model.sample_inputs(1, seed=5)[0][v.name]
        else:
            feeds[v.name] = rng.integers(-128, 128, v.shape).astype(np.int8)
    want = tessera.run(quantized, feeds)
    got = module_outputs(quantized, feeds)
    for key, ref in want.items():
        np.testing.assert_array_equal(got[key], ref, err_msg=f"{name}: {key}")
