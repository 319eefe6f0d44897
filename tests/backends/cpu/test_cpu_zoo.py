"""Every zoo model (at the test sizes of the zoo's own tests) on the cpu target equals the reference
executor on the model's sample inputs."""

import numpy as np
import pytest
from conftest import TORCH, TVM, require
from models_zoo.zoo_testing import CASES, case_id

import tessera
from tessera import zoo

torch = require("torch", TORCH)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "options"), CASES, ids=[case_id(n, o) for n, o in CASES])
def test_zoo_model_on_cpu_target(name: str, options: dict) -> None:
    require("tvm", TVM)
    torch.set_num_threads(1)
    model = zoo.get(name, **options)
    result = tessera.compile(tessera.load(zoo.export_onnx(model)), target="cpu")
    (feeds,) = model.sample_inputs(1, seed=1)
    want = tessera.run(result.graph, feeds)
    got = result.run(feeds)
    for key, ref in want.items():
        scale = max(float(np.abs(ref).max()), 1e-6)
        assert float(np.abs(got[key] - ref).max()) <= 1e-4 * scale, f"{name}: output {key} differs"
