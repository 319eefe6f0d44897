"""Every zoo model: eager PyTorch == torch -> ONNX -> Tessera IR -> reference executor, before and
after the default pass pipeline (relative error <= 1e-4). Large defaults are shrunk (width, channels,
layers, resolution) to keep the suite fast; docs/zoo.md measures the full-size models."""

import numpy as np
import pytest
from zoo_testing import relative_error, require, single_threaded_torch

import tessera
from tessera import zoo

torch = require("torch")


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    yield from single_threaded_torch(torch)


# (name, options): every registered model at least once, small where the default is big
CASES = [
    ("mobilenetv2", {"width": 0.35, "resolution": 96}),
    ("mcunet-vww", {"resolution": 64}),
    ("resnet18", {"width": 0.25, "resolution": 64}),
    ("efficientnet-b0", {"width": 0.5, "resolution": 64}),
    ("inception", {"width": 0.25, "resolution": 64}),
    ("vit-tiny", {}),
    ("vit-7-4-32", {}),
    ("bert-tiny", {"seq_len": 32}),
    ("bert-mini", {"seq_len": 32, "vocab": 2000}),
    ("edsr-baseline", {"scale": 2, "resolution": 16}),
    ("edsr-baseline", {"scale": 4, "resolution": 12}),
    ("srresnet", {"scale": 2, "resolution": 16}),
    ("srresnet", {"scale": 4, "resolution": 12}),
    ("randwire", {"channels": 16, "resolution": 64}),
    ("nasnet-cifar", {"channels": 8, "layers": 5}),
    ("amoebanet-cifar", {"channels": 8, "layers": 5}),
    ("darts-cifar", {"channels": 8, "layers": 5}),
    ("nasnet-imagenet", {"channels": 8, "layers": 4, "resolution": 64}),
    ("amoebanet-imagenet", {"channels": 8, "layers": 4, "resolution": 64}),
    ("darts-imagenet", {"channels": 8, "layers": 4, "resolution": 64}),
]


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
