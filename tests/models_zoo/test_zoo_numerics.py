"""Every zoo model: eager PyTorch == torch -> ONNX -> Tessera IR -> reference executor, before and
after the default pass pipeline (relative error <= 1e-4). Large defaults are shrunk (width, channels,
layers, resolution) to keep the suite fast; docs/zoo.md measures the full-size models."""

import numpy as np
import pytest
from conftest import TORCH, require
from zoo_testing import CASES, relative_error, single_threaded_torch

import tessera
from tessera import zoo

torch = require("torch", TORCH)


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    yield from single_threaded_torch(torch)


def test_every_registered_model_has_a_case() -> None:
    assert {name for name, _ in CASES} == set(zoo.list())


def eager(model: zoo.ZooModel) -> np.ndarray:
    with torch.no_grad():
        return model.module(*model.example_inputs).numpy()


@pytest.mark.parametrize(("name", "options"), CASES, ids=[f"{n}-{'-'.join(map(str, o.values()))}" for n, o in CASES])
def test_zoo_model_matches_eager_pytorch(name: str, options: dict) -> None:
    model = zoo.get(name, **options)
    want = eager(model)
    assert np.isfinite(want).all()
    assert 1e-2 < want.std() < 1e2, f"{name}: output std {want.std():.3g} is out of a sane range"

    proto = zoo.export_onnx(model)
    assert [i.name for i in proto.graph.input] == list(model.input_names)
    feeds = {k: t.numpy() for k, t in zip(model.input_names, model.example_inputs)}
    graph = tessera.load(proto)
    (have,) = tessera.run(graph, feeds).values()
    assert have.shape == want.shape
    assert relative_error(have, want) <= 1e-4, f"{name}: imported graph differs from eager"

    compiled = tessera.compile(graph)
    (have,) = compiled.run(feeds).values()
    assert relative_error(have, want) <= 1e-4, f"{name}: canonicalized graph differs from eager"


@pytest.mark.slow
def test_dynamo_export_matches_eager_pytorch() -> None:
    model = zoo.get("vit-7-4-32", depth=2)
    proto = zoo.export_onnx(model, dynamo=True)
    assert [i.name for i in proto.graph.input] == ["image"]
    (have,) = tessera.run(tessera.load(proto), {"image": model.example_inputs[0].numpy()}).values()
    assert relative_error(have, eager(model)) <= 1e-4
