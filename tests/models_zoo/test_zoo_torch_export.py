"""Every zoo model through the default PyTorch frontend (torch.export -> IR, no ONNX) equals eager
PyTorch (relative error <= 1e-4); the ONNX route is checked in test_zoo_numerics.py. torch.export
costs time per traced op, so the many-op networks are traced here with fewer cells, nodes or blocks
(same op mix); the ONNX-route test runs them at the sizes in CASES."""

import numpy as np
import pytest
from conftest import TORCH, require
from zoo_testing import CASES, case_id, relative_error, single_threaded_torch

import tessera
from tessera import zoo

torch = require("torch", TORCH)


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    yield from single_threaded_torch(torch)


# fewer cells / graph nodes / blocks for the torch.export route (merged over the CASES options)
FEWER_OPS = {
    "randwire": {"nodes": 10},
    "nasnet-cifar": {"layers": 3},
    "amoebanet-cifar": {"layers": 3},
    "darts-cifar": {"layers": 3},
    "nasnet-imagenet": {"layers": 3},
    "amoebanet-imagenet": {"layers": 3},
    "darts-imagenet": {"layers": 3},
    "vit-tiny": {"depth": 3},
    "efficientnet-b0": {"depth": 0.5},
}
EXPORT_CASES = [(name, {**options, **FEWER_OPS.get(name, {})}) for name, options in CASES]


@pytest.mark.parametrize(("name", "options"), EXPORT_CASES, ids=[case_id(n, o) for n, o in EXPORT_CASES])
def test_zoo_model_through_torch_export(name: str, options: dict) -> None:
    model = zoo.get(name, **options)
    with torch.no_grad():
        want = model.module(*model.example_inputs).numpy()
    graph = tessera.load(model.module, example_inputs=model.example_inputs)
    assert [v.name for v in graph.inputs] == list(model.input_names)
    feeds = {k: t.numpy() for k, t in zip(model.input_names, model.example_inputs)}
    (have,) = tessera.compile(graph).run(feeds).values()
    assert have.shape == want.shape
    assert np.isfinite(have).all()
    assert relative_error(have, want) <= 1e-4, f"{name}: torch.export route differs from eager"
