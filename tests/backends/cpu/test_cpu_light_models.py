"""Every light model from the onnx wheel (random weights) on the cpu target equals the reference.

Untuned TVM code is slow to compile and run for the big ones, so only the small ones run by default.
"""

import pytest
from _cpu_helpers import assert_cpu_matches_reference
from conftest import TVM, require

from tessera.models_zoo.light import randomized_light_model

FAST = ["squeezenet", "shufflenet"]
SLOW = ["bvlc_alexnet", "densenet121", "inception_v1", "inception_v2", "resnet50", "vgg19", "zfnet512"]


@pytest.mark.parametrize("name", [*FAST, *(pytest.param(n, marks=pytest.mark.slow) for n in SLOW)])
def test_light_model_matches_reference(name: str) -> None:
    require("tvm", TVM)
    assert_cpu_matches_reference(randomized_light_model(name, seed=0), rtol=1e-3, atol=1e-4)
