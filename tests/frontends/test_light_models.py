"""The nine ONNX light models, with seeded random weights, match onnxruntime.

Compared on the logits (the input of the final Softmax, added as an extra output), where a relative
tolerance is meaningful; the softmax output itself is compared too.
"""

import numpy as np
import onnx
import pytest
from conftest import ORT, require

import tessera
from tessera.models_zoo.light import NAMES, randomized_light_model

ort = require("onnxruntime", ORT)


def with_logits_output(model: onnx.ModelProto) -> tuple[onnx.ModelProto, str | None]:
    softmax = [n for n in model.graph.node if n.op_type == "Softmax"]
    if not softmax:
        return model, None
    logits = softmax[-1].input[0]
    model.graph.output.append(onnx.helper.make_empty_tensor_value_info(logits))
    return model, logits


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_light_model_matches_onnxruntime(name: str) -> None:
    model, logits = with_logits_output(randomized_light_model(name, seed=0))
    x = np.random.default_rng(1).standard_normal((1, 3, 224, 224)).astype(np.float32)
    initializers = {t.name for t in model.graph.initializer}
    (input_name,) = [i.name for i in model.graph.input if i.name not in initializers]
    expected = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(
        None, {input_name: x}
    )
    graph = tessera.load(model)
    got = tessera.run(graph, {input_name: x})
    for info, want in zip(model.graph.output, expected):
        have = got[info.name]
        assert have.shape == want.shape
        scale = max(float(np.abs(want).max()), 1e-6)
        err = float(np.abs(have - want).max()) / scale
        assert err < 1e-4, f"{name}: output {info.name} relative error {err:.2e}"
    assert logits is None or np.abs(got[logits]).max() > 1e-3  # the logits carry signal, not zeros
