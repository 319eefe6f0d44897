"""Models nobody here wrote: transformers' BERT-tiny, ViT and DistilBERT with random weights, through
both PyTorch frontends, compared with eager PyTorch (relative error <= 1e-4)."""

from __future__ import annotations

import pytest
from conftest import HF, ONNXSCRIPT, TORCH, require
from torch_cases import check_numerics

torch = require("torch", TORCH)
transformers = require("transformers", HF)


def _text_inputs() -> tuple:
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(0, 1000, (1, 16), generator=g)
    mask = torch.ones(1, 16, dtype=torch.long)
    mask[0, 12:] = 0  # padding: the attention mask matters
    return ids, mask


def _bert() -> tuple:
    config = transformers.BertConfig(
        vocab_size=1000, hidden_size=128, num_hidden_layers=2, num_attention_heads=2, intermediate_size=512
    )
    return transformers.BertModel(config), _text_inputs()


def _vit() -> tuple:
    config = transformers.ViTConfig(
        image_size=32, patch_size=8, hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=128
    )
    return transformers.ViTModel(config), (torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(0)),)


def _distilbert() -> tuple:
    config = transformers.DistilBertConfig(vocab_size=1000, dim=64, n_layers=2, n_heads=2, hidden_dim=128)
    return transformers.DistilBertModel(config), _text_inputs()


MODELS = {"bert_tiny": _bert, "vit": _vit, "distilbert": _distilbert}
OUTPUTS = {
    "bert_tiny": ["last_hidden_state", "pooler_output"],
    "vit": ["last_hidden_state", "pooler_output"],
    "distilbert": ["last_hidden_state"],
}


@pytest.mark.slow
@pytest.mark.parametrize("frontend", ["export", "onnx"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_transformers_model_matches_eager(name: str, frontend: str) -> None:
    if frontend == "onnx":
        require("onnxscript", ONNXSCRIPT)
    torch.manual_seed(0)
    module, args = MODELS[name]()
    graph = check_numerics(module, args, frontend=frontend)
    expected_inputs = ["pixel_values"] if name == "vit" else ["input_ids", "attention_mask"]
    assert [v.name for v in graph.inputs] == expected_inputs
    assert [v.name for v in graph.outputs] == OUTPUTS[name]
    assert graph.op_counts()["LayerNormalization"] == 5
