"""Zoo CNNs and bert-tiny quantize to int8, and the int8 graph's outputs stay within the error the
report states (on held-out sample inputs, mean |error| within 2x the reported one).

The zoo's weights are random, and the depthwise networks (mobilenetv2, mcunet-vww, efficientnet-b0)
are then chaotic: noise at 40 dB SQNR on the input of float mobilenetv2-0.35 leaves 9 dB at its output
(resnet18: 29 dB). So their end-to-end int8 SQNR is low (5-8 dB) for a reason that is not the
quantizer's; the minimum asked here is per model, and accuracy is checked on the trained digits CNN."""

import pytest
from _quantize_helpers import assert_quantizes
from conftest import TORCH, require

import tessera
from tessera import zoo

torch = require("torch", TORCH)

# (name, options): the zoo's CNNs (shrunk where the default is big) and bert-tiny
CASES = [  # (name, options, minimum output SQNR in dB)
    ("mobilenetv2", {"width": 0.35, "resolution": 96}, 5.0),
    ("mcunet-vww", {"resolution": 64}, 3.0),
    ("resnet18", {"width": 0.25, "resolution": 64}, 15.0),
    ("efficientnet-b0", {"width": 0.5, "resolution": 64}, 3.0),
    ("bert-tiny", {"seq_len": 32}, 15.0),
]


@pytest.mark.parametrize(("name", "options", "min_sqnr_db"), CASES, ids=[c[0] for c in CASES])
def test_zoo_model_quantizes_within_reported_error(name: str, options: dict, min_sqnr_db: float) -> None:
    torch.set_num_threads(1)
    model = zoo.get(name, **options)
    graph = tessera.load(zoo.export_onnx(model))
    samples = model.sample_inputs(12, seed=0)
    result = assert_quantizes(graph, samples[:8], held_out=samples[8:], min_output_sqnr_db=min_sqnr_db)
    assert len(result.report.layers) >= 5
